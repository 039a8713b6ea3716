package apperr

// Code is what a client reads in extensions.code (and in the one error of
// a non-GraphQL HTTP answer's JSON body). Every code a client can receive
// is a constant below; each constant's line comment is its documentation:
// README.md's table is generated from it (make error-codes). A code is
// never written as a literal outside this package (catalogue_test.go).
type Code string

// The catalogue. Keep one constant per line, with a one-line comment that
// says what the client should understand or do.
const (
	// The client's input.
	CodeBadUserInput         Code = "BAD_USER_INPUT"         // an argument or variable is not valid; `field` names it (its value is never echoed)
	CodeBadRequest           Code = "BAD_REQUEST"            // the request is not a GraphQL request (a body or query parameter that is not JSON)
	CodeMethodNotAllowed     Code = "METHOD_NOT_ALLOWED"     // the HTTP method does not serve this request (GET serves queries only)
	CodeUnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE" // POST a body of type application/json (or multipart/form-data with files)
	CodePayloadTooLarge      Code = "PAYLOAD_TOO_LARGE"      // the request body is over the size limit or was cut off

	// Refused before the operation runs.
	CodeParseFailed                 Code = "GRAPHQL_PARSE_FAILED"          // the query does not parse (raised by gqlgen)
	CodeValidationFailed            Code = "GRAPHQL_VALIDATION_FAILED"     // the query does not fit the schema, e.g. introspection in production (raised by gqlgen)
	CodePersistedQueryNotFound      Code = "PERSISTED_QUERY_NOT_FOUND"     // the server does not know this persisted query's hash: send the query text with it (raised by gqlgen)
	CodeQueryTooComplex             Code = "QUERY_TOO_COMPLEX"             // the request is over a cost or size limit; `limit` and `measured` say by how much
	CodeQueryTooDeep                Code = "QUERY_TOO_DEEP"                // fields or input objects are nested past the limit; `limit` and `measured` say by how much
	CodeRateLimited                 Code = "RATE_LIMITED"                  // too many requests; `retryAfter` is the seconds to wait
	CodeUnauthenticated             Code = "UNAUTHENTICATED"               // sign in first, or the session is no longer valid
	CodeRegistrationRequired        Code = "REGISTRATION_REQUIRED"         // this number has no account yet: `field` names what registering needs
	CodePolicyUpdateRequired        Code = "POLICY_UPDATE_REQUIRED"        // accept the current privacy policy version first
	CodeForbidden                   Code = "FORBIDDEN"                     // the viewer may not do or see this (also a cross-site request from an origin not allowed)
	CodeAgeRestricted               Code = "AGE_RESTRICTED"                // the user is under the age this needs
	CodeConsentRequired             Code = "CONSENT_REQUIRED"              // this needs a consent the user has not given; `purpose` names it
	CodePermissionRequired          Code = "PERMISSION_REQUIRED"           // turn on the device permission `permission` for this feature
	CodeVerificationRequired        Code = "VERIFICATION_REQUIRED"         // verify with an SMS code (requestRevealCode, verifyReveal) before revealing one's own data
	CodeStudentVerificationRequired Code = "STUDENT_VERIFICATION_REQUIRED" // the product is for verified students only; `productIndex` names the line

	// The state of the data.
	CodeNotFound            Code = "NOT_FOUND"            // no such object, or none the viewer may see; names the kind, never the content
	CodeConflict            Code = "CONFLICT"             // the object changed meanwhile or already exists; reload and try again
	CodeInvalidTransition   Code = "INVALID_TRANSITION"   // the order or errand cannot go from its status to the one asked
	CodeOutOfStock          Code = "OUT_OF_STOCK"         // a product does not have the quantity ordered left; `productId` names it
	CodeAlreadyPaid         Code = "ALREADY_PAID"         // the order has been paid; it shows as paid in a moment
	CodeCancellationBlocked Code = "CANCELLATION_BLOCKED" // orders, errands or a bank application are still under way (`orders`, `errands`, `shops`, `bankApplications` count them): finish them, then ask again

	// Partners.
	CodeSMSUnavailable          Code = "SMS_UNAVAILABLE"          // the SMS code could not be sent; try again shortly
	CodePaymentUnavailable      Code = "PAYMENT_UNAVAILABLE"      // the payment provider is not answering; try again shortly
	CodeBankRefused             Code = "BANK_REFUSED"             // the partner bank refused the star card application: check what was entered and apply again
	CodeBankUnavailable         Code = "BANK_UNAVAILABLE"         // the partner bank is not answering; an application is kept: apply again shortly to resend it
	CodeVerificationUnavailable Code = "VERIFICATION_UNAVAILABLE" // the student verification service is not answering; try again shortly

	// The server.
	CodeTimeout   Code = "TIMEOUT"   // the request took longer than the server allows
	CodeCancelled Code = "CANCELLED" // the client went away before the answer (nobody normally reads it)
	CodeInternal  Code = "INTERNAL"  // a fault of the server's, logged; `requestId` (on GraphQL errors) finds it in the log
)
