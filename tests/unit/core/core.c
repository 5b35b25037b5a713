#include "test.h"

#include "core/base64.h"
#include "core/buf.h"

void test_core_buf__grows_and_caps(void)
{
	struct buf b = BUF_INIT(10);
	must_pass(buf_adds(&b, "hello"));
	must_pass(buf_addf(&b, "%d", 1234));
	assert_str(b.p, "hello1234");
	must_fail_with(buf_adds(&b, "xy"), GS_ETOOBIG);
	assert_str(b.p, "hello1234");
	buf_release(&b);
	assert_int(b.len, 0);
}

void test_core_buf__secret_buffers_wipe_on_truncate(void)
{
	struct buf b = BUF_INIT_SECRET(1 << 20);
	must_pass(buf_adds(&b, "topsecret"));
	buf_truncate(&b, 3);
	assert_int(b.p[4], 0);
	assert_str(b.p, "top");
	buf_release(&b);
}

void test_core_buf__json_string_escapes(void)
{
	struct buf b = BUF_INIT(100);
	must_pass(buf_add_json_str(&b, "a\"b\\\n\x01", 6));
	assert_str(b.p, "\"a\\\"b\\\\\\n\\u0001\"");
	buf_release(&b);
}

void test_core_base64__go_std_roundtrip_and_errors(void)
{
	struct buf e = BUF_INIT(100), d = BUF_INIT(100);
	must_pass(base64_encode(&e, "\xff\x00\xfe\x00\x01\x02\xff", 7, B64_PAD));
	assert_str(e.p, "/wD+AAEC/w==");
	must_pass(base64_decode(&d, e.p, e.len, B64_GO_STD));
	assert_mem(d.p, d.len, "\xff\x00\xfe\x00\x01\x02\xff", 7);
	buf_reset(&d);
	must_pass(base64_decode(&d, "/wD+\nAAEC/w==", 13, B64_GO_STD));
	assert_int(d.len, 7);
	must_fail_with(base64_decode(&d, "/wD+AAEC/w", 10, B64_GO_STD), GS_EPARSE);
	must_fail_with(base64_decode(&d, "/w*+", 4, B64_GO_STD), GS_EPARSE);
	buf_release(&e);
	buf_release(&d);
}

void test_core_base64__raw_strict_rejects_noncanonical(void)
{
	struct buf d = BUF_INIT(100);
	must_pass(base64_decode(&d, "YQ", 2, B64_NOPAD | B64_STRICT));
	assert_str(d.p, "a");
	must_fail(base64_decode(&d, "YR", 2, B64_NOPAD | B64_STRICT));
	must_fail(base64_decode(&d, "YQ==", 4, B64_NOPAD | B64_STRICT));
	buf_release(&d);
}
