package account

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/ent/accountchange"
	"github.com/tongxue/tongxue/ent/address"
	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/ent/cartitem"
	"github.com/tongxue/tongxue/ent/consent"
	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/ent/devicepermission"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/favorite"
	"github.com/tongxue/tongxue/ent/feedback"
	"github.com/tongxue/tongxue/ent/follow"
	"github.com/tongxue/tongxue/ent/logincode"
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/ent/postimage"
	"github.com/tongxue/tongxue/ent/privacyrequest"
	"github.com/tongxue/tongxue/ent/ratecounter"
	"github.com/tongxue/tongxue/ent/review"
	"github.com/tongxue/tongxue/ent/session"
	"github.com/tongxue/tongxue/ent/sharingrecord"
	"github.com/tongxue/tongxue/ent/starcard"
	"github.com/tongxue/tongxue/ent/studentverification"
	"github.com/tongxue/tongxue/ent/user"
	entwow "github.com/tongxue/tongxue/ent/wow"
	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// The steps of plan. Each works inside the cancellation's transaction on
// the rows of e.user; none writes a date the retention clock reads
// (updated_at of kept records stays as it was).

// CancelledNickname is what an anonymous account row shows where a
// nickname is shown (the courier of an order, say).
const CancelledNickname = "已注销用户"

// cancelledBirthDate stands in for the birth date, a required column.
var cancelledBirthDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// orderKept is how long an order is kept after it closes (T1), as the
// orders table declares it: the runner and the terms read the same rule.
var orderKept = retention.MustKeepOf(order.Table, "")

// orderBuyerLabel keys the pseudonym of a cancelled buyer (vault.Index).
const orderBuyerLabel = "order-buyer"

// BuyerPseudonym is the keyed pseudonym kept on a cancelled buyer's
// orders: the same for all their orders, meaningless without the index key.
func BuyerPseudonym(index *vault.Index, userID int) []byte {
	return index.Hash(orderBuyerLabel, strconv.Itoa(userID))
}

func deleteDevicePermissions(ctx context.Context, e *eraser) error {
	_, err := e.tx.DevicePermission.Delete().Where(devicepermission.HasSessionWith(session.UserID(e.user.ID))).Exec(ctx)
	return err
}

func deleteSessions(ctx context.Context, e *eraser) error {
	_, err := e.tx.Session.Delete().Where(session.UserID(e.user.ID)).Exec(ctx)
	return err
}

func deleteLoginCodes(ctx context.Context, e *eraser) error {
	_, err := e.tx.LoginCode.Delete().Where(logincode.PhoneHash(e.user.PhoneHash)).Exec(ctx)
	return err
}

// deleteRateCounters deletes the limits keyed by the number's hash
// (internal/infra/ratelimit keys a subject by the hex of its first 16 bytes).
func deleteRateCounters(ctx context.Context, e *eraser) error {
	h := e.user.PhoneHash
	_, err := e.tx.RateCounter.Delete().Where(ratecounter.KeyHasSuffix(":" + hex.EncodeToString(h[:min(len(h), 16)]))).Exec(ctx)
	return err
}

func deleteAddresses(ctx context.Context, e *eraser) error {
	_, err := e.tx.Address.Delete().Where(address.UserID(e.user.ID)).Exec(ctx)
	return err
}

func deleteCart(ctx context.Context, e *eraser) error {
	_, err := e.tx.CartItem.Delete().Where(cartitem.UserID(e.user.ID)).Exec(ctx)
	return err
}

func deleteFavorites(ctx context.Context, e *eraser) error {
	_, err := e.tx.Favorite.Delete().Where(favorite.UserID(e.user.ID)).Exec(ctx)
	return err
}

func deleteFollows(ctx context.Context, e *eraser) error {
	_, err := e.tx.Follow.Delete().Where(follow.Or(follow.FollowerID(e.user.ID), follow.FolloweeID(e.user.ID))).Exec(ctx)
	return err
}

// deleteWows deletes the wows the user sent, one fewer on each post's
// count, and the wows on the user's own posts.
func deleteWows(ctx context.Context, e *eraser) error {
	own, err := e.tx.Post.Query().Where(post.AuthorID(e.user.ID)).IDs(ctx)
	if err != nil {
		return err
	}
	wowed, err := e.tx.Wow.Query().Where(entwow.UserID(e.user.ID), entwow.PostIDNotIn(own...)).
		Select(entwow.FieldPostID).Ints(ctx)
	if err != nil {
		return err
	}
	if len(wowed) > 0 { // one wow per user and post
		if err := e.tx.Post.Update().Where(post.IDIn(wowed...)).AddWowCount(-1).Exec(ctx); err != nil {
			return err
		}
	}
	_, err = e.tx.Wow.Delete().Where(entwow.Or(entwow.UserID(e.user.ID), entwow.PostIDIn(own...))).Exec(ctx)
	return err
}

func deletePostImages(ctx context.Context, e *eraser) error {
	keys, err := e.tx.PostImage.Query().Where(postimage.HasPostWith(post.AuthorID(e.user.ID))).
		Select(postimage.FieldMediaKey).Strings(ctx)
	if err != nil {
		return err
	}
	e.pictures = append(e.pictures, keys...)
	_, err = e.tx.PostImage.Delete().Where(postimage.HasPostWith(post.AuthorID(e.user.ID))).Exec(ctx)
	return err
}

func deletePosts(ctx context.Context, e *eraser) error {
	_, err := e.tx.Post.Delete().Where(post.AuthorID(e.user.ID)).Exec(ctx)
	return err
}

func deleteReviews(ctx context.Context, e *eraser) error {
	_, err := e.tx.Review.Delete().Where(review.AuthorID(e.user.ID)).Exec(ctx)
	return err
}

func deleteFeedback(ctx context.Context, e *eraser) error {
	_, err := e.tx.Feedback.Delete().Where(feedback.UserID(e.user.ID)).Exec(ctx)
	return err
}

func deleteConsents(ctx context.Context, e *eraser) error {
	_, err := e.tx.Consent.Delete().Where(consent.UserID(e.user.ID)).Exec(ctx)
	return err
}

func deleteStudentVerification(ctx context.Context, e *eraser) error {
	_, err := e.tx.StudentVerification.Delete().Where(studentverification.UserID(e.user.ID)).Exec(ctx)
	return err
}

func deleteStarCards(ctx context.Context, e *eraser) error {
	_, err := e.tx.StarCard.Delete().Where(starcard.UserID(e.user.ID)).Exec(ctx)
	return err
}

// eraseBankAccount keeps only the bank's reference of an account the bank
// holds (open, frozen, or an application under review), so that the bank
// can be told after commit (closeBankAccounts); any other is deleted.
func eraseBankAccount(ctx context.Context, e *eraser) error {
	_, err := e.tx.BankAccount.Update().
		Where(bankaccount.UserID(e.user.ID), bankaccount.BankRefNotNil(), bankaccount.BankRefNEQ(""),
			bankaccount.StatusIn(bankaccount.StatusOPEN, bankaccount.StatusFROZEN, bankaccount.StatusPENDING)).
		SetNameCipher([]byte{}).SetBoundCardCipher([]byte{}).ClearAccountNumberCipher().
		ClearIDNumberCipher().ClearIDPhotoCipher().ClearIDPhotoBackCipher().ClearFaceCipher().
		SetReason("").SetUpdatedAt(e.now).Save(ctx)
	if err != nil {
		return err
	}
	_, err = e.tx.BankAccount.Delete().Where(bankaccount.UserID(e.user.ID), bankaccount.Or(
		bankaccount.BankRefIsNil(), bankaccount.BankRef(""),
		bankaccount.StatusNotIn(bankaccount.StatusOPEN, bankaccount.StatusFROZEN, bankaccount.StatusPENDING))).Exec(ctx)
	return err
}

// forgetAsRecipient takes the user's nickname out of other people's
// ledger entries that name them as the runner of an errand or the courier
// of an order (internal/domain/errands and orders write "跑腿员 <nickname>"
// and "跑腿配送员 <nickname>"). It runs before those records lose their
// runner and courier.
func forgetAsRecipient(ctx context.Context, e *eraser) error {
	errandIDs, err := e.tx.Errand.Query().Where(errand.RunnerID(e.user.ID)).IDs(ctx)
	if err != nil {
		return err
	}
	refs := make([]string, len(errandIDs))
	for i, id := range errandIDs {
		refs[i] = "errand " + strconv.Itoa(id)
	}
	orderNos, err := e.tx.Order.Query().Where(order.CourierID(e.user.ID)).Select(order.FieldOrderNo).Strings(ctx)
	if err != nil {
		return err
	}
	for _, r := range []struct {
		prefix string
		refs   []string
	}{{"跑腿员 ", refs}, {"跑腿配送员 ", orderNos}} {
		if len(r.refs) == 0 {
			continue
		}
		// recipient is immutable in the schema (a ledger entry is not
		// edited): this is the one rewrite, by a statement modifier.
		err := e.tx.SharingRecord.Update().
			Where(sharingrecord.ReferenceIn(r.refs...), sharingrecord.RecipientHasPrefix(r.prefix)).
			Modify(func(u *entsql.UpdateBuilder) { u.Set(sharingrecord.FieldRecipient, r.prefix+CancelledNickname) }).
			Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}

// eraseErrands keeps the user's errands as service records without any
// personal value, and takes the user off the errands they ran. Only ended
// errands are left by then (blocked refuses the others).
func eraseErrands(ctx context.Context, e *eraser) error {
	mine, err := e.tx.Errand.Query().Where(errand.RequesterID(e.user.ID)).All(ctx)
	if err != nil {
		return err
	}
	for _, er := range mine {
		if er.PhotoKey != nil {
			e.pictures = append(e.pictures, *er.PhotoKey)
		}
		if err := e.tx.Errand.UpdateOne(er).
			SetRecipientNameCipher([]byte{}).SetRecipientPhoneCipher([]byte{}).SetAddressCipher([]byte{}).
			ClearCredentialCipher().ClearPhotoKey().SetPickupPlace("").SetArea("").
			SetUpdatedAt(er.UpdatedAt).Exec(ctx); err != nil {
			return err
		}
	}
	e.kept["errands"] = len(mine)
	ran, err := e.tx.Errand.Query().Where(errand.RunnerID(e.user.ID)).All(ctx)
	if err != nil {
		return err
	}
	for _, er := range ran {
		if err := e.tx.Errand.UpdateOne(er).ClearRunnerID().SetUpdatedAt(er.UpdatedAt).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// eraseOrders de-identifies the user's orders: no name, phone or address,
// the buyer's keyed pseudonym, and the date the record is deleted (3 years
// from when it closed). Only closed orders are left by then (blocked), so
// an order without closed_at (closed before it was recorded) closed at
// its last change.
func eraseOrders(ctx context.Context, e *eraser) error {
	mine, err := e.tx.Order.Query().Where(order.UserID(e.user.ID)).All(ctx)
	if err != nil {
		return err
	}
	pseudonym := BuyerPseudonym(e.keys.Index, e.user.ID)
	for _, o := range mine {
		closed := o.UpdatedAt
		if o.ClosedAt != nil {
			closed = *o.ClosedAt
		}
		if err := e.tx.Order.UpdateOne(o).
			SetRecipientNameCipher([]byte{}).SetRecipientPhoneCipher([]byte{}).SetAddressCipher([]byte{}).
			SetBuyerPseudonym(pseudonym).SetClosedAt(closed).SetRetainUntil(orderKept.For.After(closed)).
			SetUpdatedAt(o.UpdatedAt).Exec(ctx); err != nil {
			return err
		}
	}
	e.kept["orders"] = len(mine)
	delivered, err := e.tx.Order.Query().Where(order.CourierID(e.user.ID)).All(ctx)
	if err != nil {
		return err
	}
	for _, o := range delivered {
		if err := e.tx.Order.UpdateOne(o).ClearCourierID().SetUpdatedAt(o.UpdatedAt).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func deleteDataExports(ctx context.Context, e *eraser) error {
	_, err := e.tx.DataExport.Delete().Where(dataexport.UserID(e.user.ID)).Exec(ctx)
	return err
}

func deleteAccountChanges(ctx context.Context, e *eraser) error {
	_, err := e.tx.AccountChange.Delete().Where(accountchange.UserID(e.user.ID)).Exec(ctx)
	return err
}

func detachPrivacyRequests(ctx context.Context, e *eraser) error {
	return e.tx.PrivacyRequest.Update().Where(privacyrequest.UserID(e.user.ID)).ClearUserID().Exec(ctx)
}

// tombstone strips the account row of every personal value. The number's
// keyed hash becomes random bytes: the number no longer finds this row,
// and registering it makes a new account.
func tombstone(ctx context.Context, e *eraser) error {
	return e.tx.User.UpdateOne(e.user).
		SetPhoneHash([]byte(rand.Text())).SetPhoneCipher([]byte{}).
		SetNickname(CancelledNickname).SetAvatarURL("").SetSchool("").SetBirthDate(cancelledBirthDate).
		SetConsented([]string{}).ClearKinArrangement().SetRole(user.RoleSTUDENT).SetAcceptedPolicySeq(0).
		SetStatus(user.StatusCANCELLED).SetCancelledAt(e.now).ClearCancelAfter().SetUpdatedAt(e.now).Exec(ctx)
}
