// Package pii is the vocabulary of the privacy policy: the closed list of
// processing purposes with their tier and legal basis, the mask kinds, and
// the ent annotation that marks personal data in the data model. It has no
// dependencies so the ent schema can import it.
package pii

import (
	"fmt"
	"io"
	"strconv"
)

// Tier says how a purpose relates to the service (§1 of the policy).
type Tier string

const (
	// Basic functions are needed for the service; accepting the policy covers them.
	Basic Tier = "BASIC"
	// Extended functions are optional; each is granted and withdrawn on its own.
	Extended Tier = "EXTENDED"
	// Separate consent (单独同意): each kind of sharing with a third party and
	// each kind of sensitive personal information.
	Separate Tier = "SEPARATE"
)

// LegalBasis is why a processing is lawful (§1.4 of the policy, PIPL art. 13).
type LegalBasis string

const (
	Consent           LegalBasis = "CONSENT"
	Contract          LegalBasis = "CONTRACT"
	LegalDuty         LegalBasis = "LEGAL_DUTY"
	Emergency         LegalBasis = "EMERGENCY"
	PublicInterest    LegalBasis = "PUBLIC_INTEREST"
	PubliclyAvailable LegalBasis = "PUBLICLY_AVAILABLE"
	OtherLaw          LegalBasis = "OTHER_LAW"
)

// Purpose is one reason personal data is processed.
type Purpose string

// Info describes a purpose as the consent screens show it.
type Info struct {
	Purpose     Purpose
	Tier        Tier
	Basis       LegalBasis
	Title       string // shown in the app (Chinese)
	Section     string // policy section, §chapter.part
	Categories  string // data categories involved
	Recipient   string // third party, for sharing purposes
	Description string
}

// NeedsConsent reports whether processing for this purpose needs the user's
// own consent (and so can be withdrawn); other bases need none.
func (i Info) NeedsConsent() bool { return i.Basis == Consent }

// The closed list. Adding a purpose means adding it here and to the
// Purpose enum of schema/privacy.graphql (a test keeps them equal).
const (
	Account         Purpose = "ACCOUNT"
	Shopping        Purpose = "SHOPPING"
	Errands         Purpose = "ERRANDS"
	StarCard        Purpose = "STAR_CARD"
	Wow             Purpose = "WOW"
	Security        Purpose = "SECURITY"
	LegalCompliance Purpose = "LEGAL_COMPLIANCE"
	EmergencyCare   Purpose = "EMERGENCY"
	Location        Purpose = "LOCATION"
	Marketing       Purpose = "MARKETING"
	Feedback        Purpose = "FEEDBACK"
	CustomerService Purpose = "CUSTOMER_SERVICE"
	ReturnVisit     Purpose = "RETURN_VISIT"
	Surveys         Purpose = "SURVEYS"
	SharePayment    Purpose = "SHARE_PAYMENT"
	ShareMerchant   Purpose = "SHARE_MERCHANT"
	ShareCourier    Purpose = "SHARE_COURIER"
	ShareBank       Purpose = "SHARE_PARTNER_BANK"
	ShareVerifier   Purpose = "SHARE_VERIFICATION"
	ShareAffiliates Purpose = "SHARE_AFFILIATES"
	SensitiveID     Purpose = "SENSITIVE_IDENTITY"
	SensitiveFace   Purpose = "SENSITIVE_BIOMETRIC"
	SensitiveMoney  Purpose = "SENSITIVE_FINANCIAL"
	PublicDisclose  Purpose = "PUBLIC_DISCLOSURE"
)

var catalog = []Info{
	{Account, Basic, Contract, "账户注册与登录", "§1.1.1", "手机号码", "", "Create the account and log in with an SMS code."},
	{Shopping, Basic, Contract, "网上购物", "§1.1.2", "订单信息、收货人姓名、收货地址、联系电话", "", "Place, pay and deliver orders; after-sales service."},
	{Errands, Basic, Contract, "跑腿代取", "§1.1.3", "取件地点、取件凭证、收件人、收件地址、手机号、快递信息", "", "Parcel pick-up runs."},
	{StarCard, Basic, Contract, "星星卡凭证", "§1.1.4", "昵称、性别、学校、学制、入学年份", "", "Issue the star card credential for student perks."},
	{Wow, Basic, Contract, "wow 服务", "§1.1.5", "图片、状态、头像、昵称、学校", "", "Post wow statuses and receive wows."},
	{Security, Extended, LegalDuty, "账户与交易安全", "§1.2.1", "设备信息、服务日志", "", "Risk control and network logs kept as the Cybersecurity Law requires."},
	{LegalCompliance, Basic, LegalDuty, "履行法定义务", "§1.4, §6", "交易记录、网络日志", "", "Keep records the law requires (e.g. transactions for three years)."},
	{EmergencyCare, Basic, Emergency, "紧急情况", "§1.4", "必要的个人信息", "", "Protect life, health or property in an emergency."},
	{Location, Extended, Consent, "位置信息", "§1.3.4", "GPS 位置", "", "Nearby merchants and products, delivery range, wow location."},
	{Marketing, Extended, Consent, "广告推送", "§1.2.2", "手机号、设备标识", "", "Marketing by SMS, push or in-app message."},
	{Feedback, Extended, Consent, "反馈意见与评价", "§1.2.3", "手机号或邮箱", "", "Answer feedback and reviews."},
	{CustomerService, Extended, Contract, "客户服务与投诉", "§1.2.4", "账号信息、交易信息、通话记录、聊天记录", "", "Customer service, complaints and disputes."},
	{ReturnVisit, Extended, Consent, "回访", "§1.2.4(3)", "手机号、姓名、订单信息", "", "Return visits by phone."},
	{Surveys, Extended, Consent, "调查问卷", "§1.2.6", "问卷回答", "", "Questionnaires; each one asks again."},
	{SharePayment, Separate, Consent, "向支付机构提供订单信息", "§1.1.2(2), §2.1.2", "订单号、交易金额", "第三方支付机构", "Let the payment provider confirm and complete a payment."},
	{ShareMerchant, Separate, Consent, "向第三方商家提供订单与身份信息", "§2.1.2(2)", "订单信息、姓名、身份证号、学生证照片、在读学校", "平台内第三方商家", "Let the merchant sell and serve the order."},
	{ShareCourier, Separate, Consent, "向配送服务商提供收货信息", "§2.2.3(d)", "收货人姓名、电话、地址、订单信息", "合作配送服务商", "Deliver goods and errands."},
	{ShareBank, Separate, Consent, "向合作金融机构提供开户信息", "§2.1.2(3)", "姓名、身份证号、手机号、身份证件照片、人脸信息、银行卡信息", "合作金融机构", "Open the Class II bank account of the star card."},
	{ShareVerifier, Separate, Consent, "向身份验证服务商提供身份信息", "§1.1.2(1), §2.2.2", "姓名、身份证号、学生证照片、在读学校、学信网验证码", "学信网及身份核验服务商", "Verify student identity."},
	{ShareAffiliates, Separate, Consent, "与关联方共享", "§2.1.1", "优惠权益、订单、账单信息", "关联方", "Services provided with affiliates."},
	{SensitiveID, Separate, Consent, "处理身份证件信息", "§1.1.2, §1.1.4", "身份证号、身份证照片、学生证照片", "", "Sensitive: identity documents."},
	{SensitiveFace, Separate, Consent, "处理人脸信息", "§1.1.4", "人脸信息", "", "Sensitive: biometric face data."},
	{SensitiveMoney, Separate, Consent, "处理金融账户信息", "§1.1.4", "银行卡信息、二类账户、余额、交易明细", "", "Sensitive: financial accounts."},
	{PublicDisclose, Separate, Consent, "公开披露", "§2.4", "个人信息", "", "Public disclosure, never without separate consent."},
}

var byPurpose = func() map[Purpose]Info {
	m := make(map[Purpose]Info, len(catalog))
	for _, i := range catalog {
		m[i.Purpose] = i
	}
	return m
}()

// Purposes lists every purpose, in policy order.
func Purposes() []Info { return append([]Info(nil), catalog...) }

// Lookup returns a purpose's description.
func Lookup(p Purpose) (Info, bool) {
	i, ok := byPurpose[p]
	return i, ok
}

// MarshalGQL writes the enum value.
func (p Purpose) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(p))) }

// UnmarshalGQL accepts only purposes of the closed list.
func (p *Purpose) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("a purpose must be a string")
	}
	if _, ok := byPurpose[Purpose(s)]; !ok {
		return fmt.Errorf("%q is not a purpose", s)
	}
	*p = Purpose(s)
	return nil
}

// MarshalGQL writes the enum value.
func (t Tier) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(t))) }

// UnmarshalGQL reads the enum value.
func (t *Tier) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, (*string)(t), "BASIC", "EXTENDED", "SEPARATE")
}

// MarshalGQL writes the enum value.
func (b LegalBasis) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(b))) }

// UnmarshalGQL reads the enum value.
func (b *LegalBasis) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, (*string)(b), "CONSENT", "CONTRACT", "LEGAL_DUTY", "EMERGENCY",
		"PUBLIC_INTEREST", "PUBLICLY_AVAILABLE", "OTHER_LAW")
}

func unmarshalEnum(v any, dst *string, allowed ...string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("enum values are strings")
	}
	for _, a := range allowed {
		if s == a {
			*dst = s
			return nil
		}
	}
	return fmt.Errorf("%q is not a valid value", s)
}
