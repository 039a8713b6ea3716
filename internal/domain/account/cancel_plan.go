package account

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// fate is what a cancellation does to the user's rows in one table.
type fate string

const (
	fateDeleted  fate = "deleted"
	fateErased   fate = "erased"       // the rows stay as records; every personal value in them is erased
	fateDetached fate = "detached"     // the rows stay, no longer tied to the user
	fateKept     fate = "kept"         // the rows stay as they are: they hold no personal value
	fateNone     fate = "not a user's" // no row of the table belongs to a user
)

// step is one table's part of a cancellation.
type step struct {
	table string
	fate  fate
	// erases: for fateErased, the columns erased; they include every
	// personal column of the table (a test checks it against the map of
	// personal data, so a new personal column cannot be forgotten).
	erases []string
	why    string
	run    func(ctx context.Context, e *eraser) error
}

// plan is every table of the data model, in the order a cancellation
// handles them (rows that others refer to go after those referring to
// them). A test keeps it complete: a new table needs a decision here.
// What is kept follows §4(三) and §6 of the privacy policy: everything is
// deleted or anonymised "except what laws and regulations require to be
// kept", and that is kept de-identified.
var plan = []step{
	{table: "device_permissions", fate: fateDeleted, run: deleteDevicePermissions,
		why: "what the app reported about each signed-in device"},
	{table: "sessions", fate: fateDeleted, run: deleteSessions,
		why: "sign-ins; already ended at the request (A5)"},
	{table: "login_codes", fate: fateDeleted, run: deleteLoginCodes,
		why: "codes sent to the number, found by its keyed hash"},
	{table: "rate_counters", fate: fateDeleted, run: deleteRateCounters,
		why: "the number's code limits (keyed by its hash), so it can register anew at once"},
	{table: "addresses", fate: fateDeleted, run: deleteAddresses, why: "delivery addresses"},
	{table: "cart_items", fate: fateDeleted, run: deleteCart, why: "the cart"},
	{table: "favorites", fate: fateDeleted, run: deleteFavorites, why: "favourites"},
	{table: "follows", fate: fateDeleted, run: deleteFollows, why: "who they follow and who follows them"},
	{table: "wows", fate: fateDeleted, run: deleteWows,
		why: "wows they sent (the posts' counts go down) and wows on their posts"},
	{table: "post_images", fate: fateDeleted, run: deletePostImages,
		why: "their posts' pictures; the files are deleted after commit"},
	{table: "posts", fate: fateDeleted, run: deletePosts, why: "their wow posts, text and place"},
	{table: "reviews", fate: fateDeleted, run: deleteReviews, why: "published content (R2); the law keeps none of it"},
	{table: "feedbacks", fate: fateDeleted, run: deleteFeedback, why: "feedback and the contact to answer on"},
	{table: "consents", fate: fateDeleted, run: deleteConsents, why: "the current consents: nothing is processed any more"},
	{table: "consent_events", fate: fateKept,
		why: "the history of consent decisions (purpose, decision, policy version, channel, time) proves that what was " +
			"processed before was consented (§4(四): withdrawing does not undo past processing; PIPL art. 56 keeps " +
			"processing records 3 years); tied only to the anonymous account row"},
	{table: "policy_acceptances", fate: fateKept,
		why: "which policy version was accepted and when: the proof of consent for past processing, as consent_events"},
	{table: "student_verifications", fate: fateDeleted, run: deleteStudentVerification,
		why: "name, ID number, card photo, CHSI code: deleted with the account (their annotation)"},
	{table: "star_cards", fate: fateDeleted, run: deleteStarCards, why: "star cards; deleted with the account"},
	{table: "bank_accounts", fate: fateErased, run: eraseBankAccount,
		erases: []string{"name_cipher", "id_number_cipher", "id_photo_cipher", "id_photo_back_cipher", "face_cipher",
			"bound_card_cipher", "account_number_cipher", "reason"},
		why: "only the bank's reference stays, until the bank confirms the closure (then the row is deleted)"},
	{table: "sharing_records", fate: fateKept, run: forgetAsRecipient,
		why: "the ledger of hand-overs (recipient, purpose, categories, reference) is a processing record kept 3 years " +
			"(PIPL art. 56) and holds no personal value of the user; other people's entries naming the user as their " +
			"runner or courier lose the nickname"},
	{table: "errands", fate: fateErased, run: eraseErrands,
		erases: []string{"credential_cipher", "photo_key", "recipient_name_cipher", "recipient_phone_cipher",
			"address_cipher", "pickup_place", "area"},
		why: "a finished errand is a service transaction kept 3 years (E-Commerce Law art. 31): kept without the pick-up " +
			"code, photo, places and recipient; one they ran loses its runner"},
	{table: "orders", fate: fateErased, run: eraseOrders,
		erases: []string{"recipient_name_cipher", "recipient_phone_cipher", "address_cipher"},
		why: "transactions are kept 3 years from completion (E-Commerce Law art. 31, policy §6): de-identified, with a " +
			"keyed pseudonym of the buyer and the date they will be deleted (retain_until); one they delivered loses its courier"},
	{table: "order_items", fate: fateKept, why: "what an order bought: part of the kept transaction record"},
	{table: "order_events", fate: fateKept, why: "an order's status history: part of the kept transaction record"},
	{table: "payment_callbacks", fate: fateKept, why: "the payment provider's notices: part of the kept transaction record"},
	{table: "sensitive_accesses", fate: fateKept,
		why: "the audit of who revealed what: a security log kept 6 months (Cybersecurity Law art. 21, policy §6); ids only"},
	{table: "data_exports", fate: fateDeleted, run: deleteDataExports, why: "copies of the data (R6)"},
	{table: "account_changes", fate: fateDeleted, run: deleteAccountChanges, why: "the record of their own corrections (R1)"},
	{table: "privacy_requests", fate: fateDetached, run: detachPrivacyRequests,
		why: "requests and their answers are the evidence of how each was handled (3 years after the answer): " +
			"kept, no longer tied to the account"},
	{table: "merchants", fate: fateKept, why: "a shop's owner cannot cancel while they run it (blocked): staff hand it over first"},
	{table: "products", fate: fateNone},
	{table: "policy_versions", fate: fateNone},
	{table: "users", fate: fateErased, run: tombstone,
		erases: []string{"phone_hash", "phone_cipher", "nickname", "avatar_url", "school", "birth_date", "consented",
			"kin_arrangement", "role", "accepted_policy_seq", "cancel_after"},
		why: "the row stays as an anonymous tombstone (status CANCELLED, cancelled_at) while the kept records point at it; " +
			"the number's hash is replaced by random bytes, so the number registers anew as a new person"},
}

// eraser carries one cancellation through the plan.
type eraser struct {
	tx       *ent.Tx
	keys     vault.Keys
	user     *ent.User // as it was before the cancellation
	now      time.Time
	pictures []string       // media keys to release after commit
	kept     map[string]int // records kept de-identified, for the log
}
