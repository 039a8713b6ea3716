package schema

import "entgo.io/ent"

// All lists every schema, for code that reads the annotations at run time
// (the privacy catalog, key rotation). A test keeps it complete.
var All = []ent.Interface{
	User{}, Session{}, LoginCode{}, RateCounter{},
	Merchant{}, Product{}, Review{},
	PolicyVersion{}, PolicyAcceptance{}, ConsentEvent{}, Consent{}, DevicePermission{}, SensitiveAccess{},
	Feedback{},
	Favorite{}, CartItem{}, Address{}, Order{}, OrderItem{}, OrderEvent{}, PaymentCallback{},
	SharingRecord{}, StudentVerification{},
	Post{}, PostImage{}, Wow{}, Follow{}, Errand{}, StarCard{}, BankAccount{},
	DataExport{}, AccountChange{}, PrivacyRequest{},
}
