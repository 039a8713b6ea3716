package dataexport

import (
	"fmt"
	"strings"

	"entgo.io/ent/schema/field"

	"github.com/tongxue/tongxue/internal/infra/chinatime"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// titles name the files in the README; a table missing here is named by
// its own name, and still exported.
var titles = map[string]string{
	"users":                 "账户资料",
	"login_codes":           "短信验证码记录",
	"sessions":              "登录会话",
	"device_permissions":    "设备权限状态",
	"consents":              "同意状态",
	"consent_events":        "同意与撤回记录",
	"policy_acceptances":    "隐私政策接受记录",
	"sensitive_accesses":    "敏感信息查看记录",
	"sharing_records":       "个人信息对外提供记录",
	"feedbacks":             "反馈意见",
	"addresses":             "收货地址",
	"cart_items":            "购物车",
	"favorites":             "收藏",
	"orders":                "订单",
	"order_items":           "订单商品",
	"order_events":          "订单状态记录",
	"reviews":               "商品评价",
	"student_verifications": "学生身份认证",
	"posts":                 "wow 动态",
	"post_images":           "wow 动态图片",
	"wows":                  "我送出的 wow",
	"follows":               "我的关注",
	"errands":               "跑腿代取（我发布的）",
	"star_cards":            "星星卡",
	"bank_accounts":         "星星卡二类银行账户",
	"data_exports":          "个人信息副本记录",
	"account_changes":       "账户信息更正记录",
	"privacy_requests":      "个人信息权利请求",
}

func titleOf(table string) string {
	if t, ok := titles[table]; ok {
		return t
	}
	return table
}

var bases = map[pii.LegalBasis]string{
	pii.Consent:           "个人同意",
	pii.Contract:          "订立、履行合同所必需",
	pii.LegalDuty:         "履行法定职责或法定义务所必需",
	pii.Emergency:         "应对突发事件或紧急情况所必需",
	pii.PublicInterest:    "为公共利益实施新闻报道、舆论监督等",
	pii.PubliclyAvailable: "处理已合法公开的个人信息",
	pii.OtherLaw:          "法律、行政法规规定的其他情形",
}

// readme is README.md: what the copy is, how to read it and pass it on,
// every file and every field with its category, purpose, legal basis and
// retention (from the same annotations as the privacy catalogue), and the
// JSON Schema.
func readme(c *contents, schemaDoc []byte) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# 同学 App 个人信息副本")
	p("")
	p("- 导出时间：%s（北京时间）", c.at.In(chinatime.Zone).Format("2006-01-02 15:04:05"))
	p("- 账户编号：%d", c.userID)
	p("- 格式：`%s`", Format)
	p("")
	p("这是我们保存的你的个人信息的副本，依《个人信息保护法》第四十五条提供给你本人。" +
		"副本按数据类别分为多个 JSON 文件，每个文件、每个字段的含义、处理目的、法律依据和保存期限见下文。")
	p("")
	p("**敏感个人信息（身份证号、银行卡号、人脸信息、证件照片、位置等）在副本中为完整原文。请妥善保存本文件，不要转发给他人。**" +
		"下载链接只能使用一次；下载后，服务器上的这份副本即被删除，最迟在生成 7 天后删除。")
	p("")
	p("## 文件格式（也用于转交给你指定的其他个人信息处理者）")
	p("")
	p("1. 每类数据一个 JSON 文件（UTF-8），结构相同：")
	p("   `{\"format\": \"%s\", \"schema\": \"schema.json#/$defs/<表名>\", \"table\": \"<表名>\", \"title\": \"<中文名称>\", \"exportedAt\": \"<时间>\", \"records\": [{\"<字段>\": <值>, …}]}`", Format)
	p("2. 记录的键是我们数据库中的字段名，记录按编号排列。编号（`id` 及 `*_id`）是不透明的整数，只用于在副本内关联记录，例如 `order_items.order_id` 对应 `orders.id`。")
	p("3. 时间为 RFC 3339 格式的北京时间（UTC+8）；金额字段（`*_fen`）以分为单位。空值为 `null`。")
	p("4. 加密保存的字段已解密为原文。证件照片、人脸信息等二进制内容放在 `files/` 目录，记录中的值为 `{\"file\": 路径, \"contentType\": 类型, \"size\": 字节数}`。")
	p("5. 你的头像、wow 动态图片和快递照片在 `pictures/` 目录，文件名是记录中的图片编号。")
	p("6. 仅以密钥哈希形式保存的字段（用于按手机号、身份证号查找记录，无法还原为原文）显示为 `%s`，表示我们持有该项。", LookupMarker)
	p("7. 全部文件的 JSON Schema（draft 2020-12）见 `schema.json`，本文末尾附全文。")
	p("")
	p("## 文件清单")
	p("")
	p("| 文件 | 内容 | 记录数 |")
	p("|---|---|---|")
	for _, t := range c.tables {
		p("| `%s.json` | %s | %d |", t.name, titleOf(t.name), len(c.data[t.name].Records))
	}
	files, pictures := 0, 0
	for path := range c.blobs {
		if strings.HasPrefix(path, "pictures/") {
			pictures++
		} else {
			files++
		}
	}
	p("| `files/` | 证件照片、人脸信息等二进制内容 | %d 个文件 |", files)
	p("| `pictures/` | 头像、动态图片、快递照片 | %d 张 |", pictures)
	p("")
	p("## 字段说明")
	p("")
	p("“个人信息类别”“处理目的”“法律依据”“保存期限”与我们的个人信息清单（隐私政策附录）出自同一份标注。未标类别的字段（编号、时间、状态等）是理解记录所需的背景信息。")
	for _, t := range c.tables {
		p("")
		p("### `%s.json`：%s", t.name, titleOf(t.name))
		p("")
		p("| 字段 | 类型 | 个人信息类别 | 处理目的 | 法律依据 | 保存期限 | 副本中的形式 |")
		p("|---|---|---|---|---|---|---|")
		for _, col := range t.columns {
			p("| `%s` | %s | %s |", col.name, typeName(col), fieldFacts(t, col))
		}
	}
	p("")
	p("## 疑问、更正与删除")
	p("")
	p("如对副本有疑问，或希望更正、删除其中的信息，请发送电子邮件至 privacy@lexin.com，或联系在线客服（每日 9:00–18:00）。我们将在收到请求后十五个工作日内完成身份核查并答复。")
	p("")
	p("## 附：JSON Schema（schema.json）")
	p("")
	p("```json")
	b.Write(schemaDoc)
	p("")
	p("```")
	return b.String()
}

func typeName(c column) string {
	switch {
	case c.kind == sealed:
		return "文本或文件"
	case c.kind != plain:
		return "文本"
	case c.typ == field.TypeTime:
		return "时间"
	case c.typ == field.TypeBool:
		return "是/否"
	case c.typ.Integer():
		return "整数"
	case c.typ.Float():
		return "数字"
	case c.typ == field.TypeJSON:
		return "JSON"
	case len(c.enums) > 0:
		return "取值之一：" + strings.Join(c.enums, "、")
	}
	return "文本"
}

// fieldFacts are the last five cells of a field's row.
func fieldFacts(t table, c column) string {
	if c.field == nil {
		what := "背景信息"
		switch {
		case c.name == "id":
			what = "记录编号"
		case c.name == t.route.column:
			what = "所属记录的编号"
		case strings.HasSuffix(c.name, "_id") && c.typ.Integer():
			what = "关联记录的编号"
		}
		return "— | — | — | — | " + what
	}
	f := c.field
	category := f.Category
	if f.Sensitive {
		category += "（敏感个人信息）"
	}
	purpose, basis := string(f.Purpose), ""
	if info, ok := pii.Lookup(f.Purpose); ok {
		purpose = fmt.Sprintf("%s（%s，%s）", info.Title, info.Purpose, info.Section)
		basis = bases[info.Basis]
	}
	var form string
	switch c.kind {
	case lookup:
		form = "仅保存密钥哈希，无法还原；副本中注明持有"
	case withheld:
		form = "不含在副本中：" + notCopied[t.name+"."+c.name]
	case sealed:
		form = "加密保存；副本中为解密后的原文"
	default:
		form = "原文"
	}
	if c.picture {
		form += "；图片见 `pictures/`"
	}
	return strings.Join([]string{cell(category), cell(purpose), cell(basis), cell(retentionText(f.Retention)), form}, " | ")
}

// retentionText is the retention as the privacy catalogue prints it.
func retentionText(r any) string {
	switch x := r.(type) {
	case nil:
		return ""
	case interface{ Text() string }:
		return x.Text()
	}
	return fmt.Sprint(r)
}

// cell keeps a table cell on one line.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
