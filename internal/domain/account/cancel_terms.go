package account

import "strconv"

// Terms are what a cancellation deletes and what the law makes us keep,
// shown before the owner asks (R3). They say in the policy's words what
// cancel_plan.go does.
type Terms struct {
	Deleted        []string
	Kept           []Kept
	CoolingOffDays int
}

// Kept is one kind of record kept after a cancellation.
type Kept struct {
	What, Why, HowLong string
}

// TermsOf returns the terms of a cancellation.
func TermsOf() Terms {
	return Terms{
		CoolingOffDays: CoolingOffDays,
		Deleted: []string{
			"账户信息：手机号码、昵称、头像、所在学校、出生日期",
			"所有设备上的登录状态（申请注销时即全部退出）、短信验证码与设备权限记录",
			"收货地址、购物车、收藏",
			"发布的 wow 状态（含图片和所在位置）、送出和收到的 wow、关注与粉丝关系",
			"商品评价",
			"反馈意见及留下的手机号或邮箱",
			"学生身份认证信息：姓名、身份证号、学生证照片、学信网验证码",
			"星星卡",
			"二类户在本平台保存的信息（姓名、身份证号、身份证照片、人脸信息、银行卡号、二类户账号）；我们会通知合作金融机构注销该账户",
			"当前的授权同意状态",
			"个人信息副本（导出文件）与账户资料更正记录",
			"跑腿订单中的取件凭证、快递照片、取件地点、收件人姓名、电话和地址",
			"订单中的收货人姓名、电话和地址",
		},
		Kept: []Kept{
			{
				What:    "订单记录（商品、金额、时间、状态），已去标识化：不含姓名、电话、地址，仅以无法还原的化名标识",
				Why:     "《中华人民共和国电子商务法》第三十一条要求交易信息自交易完成之日起保存不少于三年（本政策第六条）",
				HowLong: "自订单完成之日起 " + strconv.Itoa(orderKept.For.Years) + " 年，届满后删除",
			},
			{
				What:    "跑腿记录（物品类型、重量、酬金、时间、状态），已去标识化：不含取件凭证、照片、地点和收件人信息",
				Why:     "跑腿属于平台上的服务交易，交易信息依《中华人民共和国电子商务法》第三十一条保存（本政策第六条）",
				HowLong: "自跑腿结束之日起 3 年，届满后删除",
			},
			{
				What:    "授权同意与撤回的记录、隐私政策的接受记录、个人信息共享记录（均不含您的个人信息）",
				Why:     "证明注销前的处理已取得您的同意（本政策第四条第（四）项：撤回同意不影响此前的处理）；《中华人民共和国个人信息保护法》第五十六条要求处理情况记录至少保存三年",
				HowLong: "3 年，届满后删除",
			},
			{
				What:    "敏感个人信息查看的审计记录（仅记录编号与时间）",
				Why:     "《中华人民共和国网络安全法》第二十一条要求留存网络日志不少于六个月（本政策第六条）",
				HowLong: "6 个月，届满后删除",
			},
			{
				What:    "您提出的个人信息权利请求及我们的答复，与账户解除关联",
				Why:     "证明我们依法处理了您的请求（本政策第四条第（八）项）",
				HowLong: "答复后 3 年，届满后删除",
			},
			{
				What:    "一条不含任何个人信息的已注销账户记录（注销时间）",
				Why:     "上述记录指向它；您的手机号码可重新注册为新账户",
				HowLong: "与上述记录一同删除",
			},
		},
	}
}
