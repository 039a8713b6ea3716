package mask

import "testing"

func TestMask(t *testing.T) {
	cases := []struct {
		kind     Kind
		in, want string
	}{
		{KindPhone, "13812345678", "138****5678"},
		{KindPhone, "1234567", "****"},
		{KindPhone, "", "****"},
		{KindIDNumber, "11010519491231002X", "1***************2X"},
		{KindIDNumber, "123", "****"},
		{KindBankCard, "6222 0212 3456 7890 123", "**** **** **** 0123"},
		{KindBankCard, "6222021234567890", "**** **** **** 7890"},
		{KindBankCard, "1234", "**** **** **** ****"},
		{KindName, "张三", "张*"},
		{KindName, "张小明", "张**"},
		{KindName, "欧阳娜娜", "欧阳**"},
		{KindName, "欧阳", "欧*"},
		{KindName, "Li", "L*"},
		{KindName, "", "*"},
		{KindAddress, "广东省深圳市南山区粤海街道科苑南路3099号", "广东省深圳市南山区****"},
		{KindAddress, "北京市海淀区清华园1号", "北京市海淀区****"},
		{KindAddress, "浙江省杭州市余杭区", "浙江省杭州市余杭区****"},
		{KindAddress, "内蒙古自治区阿拉善盟额济纳旗达来呼布镇", "内蒙古自治区阿拉善盟额济纳旗****"},
		{KindAddress, "上海市杨浦区邯郸路220号", "上海市杨浦区****"},
		{KindAddress, "某地某路123号", "某地****"},
		{KindEmail, "alice@example.com", "a***@example.com"},
		{KindEmail, "not-an-email", "***"},
		{KindSecret, "6-2-3021", "****"},
		{Kind("OTHER"), "secret", "****"},
	}
	for _, c := range cases {
		if got := Apply(c.kind, c.in); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.kind, c.in, got, c.want)
		}
	}
}

// E2: a secret is never staff's to reveal; every other kind is, with a reason.
func TestStaffMayReveal(t *testing.T) {
	for _, k := range Kinds() {
		if got, want := k.StaffMayReveal(), k != KindSecret; got != want {
			t.Errorf("%s: StaffMayReveal %v, want %v", k, got, want)
		}
	}
}
