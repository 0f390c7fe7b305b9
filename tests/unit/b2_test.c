/* B2 JSON handling and percent-encoding (backup/b2.c pure helpers). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "b2.h"

/* Backblaze's string-encoding table (b2 docs "String Encoding"). */
static const struct {
	const char *in, *out;
} enc_cases[] = {
	{ " ", "%20" },
	{ "!", "!" },
	{ "\"", "%22" },
	{ "#", "%23" },
	{ "$", "$" },
	{ "%", "%25" },
	{ "&", "%26" },
	{ "'", "'" },
	{ "(", "(" },
	{ ")", ")" },
	{ "*", "*" },
	{ "+", "%2B" },
	{ ",", "%2C" },
	{ "-", "-" },
	{ ".", "." },
	{ "/", "/" },
	{ "0123456789", "0123456789" },
	{ ":", ":" },
	{ ";", ";" },
	{ "<", "%3C" },
	{ "=", "=" },
	{ ">", "%3E" },
	{ "?", "%3F" },
	{ "@", "@" },
	{ "AZaz", "AZaz" },
	{ "[", "%5B" },
	{ "\\", "%5C" },
	{ "]", "%5D" },
	{ "^", "%5E" },
	{ "_", "_" },
	{ "`", "%60" },
	{ "{", "%7B" },
	{ "|", "%7C" },
	{ "}", "%7D" },
	{ "~", "~" },
	{ "\x7f", "%7F" },
	{ "\x01", "%01" },
	{ "\xe8\x87\xaa\xe7\x94\xb1", "%E8%87%AA%E7%94%B1" },
	{ "\xc3\xa9t\xc3\xa9 2024/r\xc3\xa9sum\xc3\xa9.txt",
	    "%C3%A9t%C3%A9%202024/r%C3%A9sum%C3%A9.txt" },
	{ "daily_web-1_20240101_020000.tar.gpg",
	    "daily_web-1_20240101_020000.tar.gpg" },
	{ "", "" },
};

static void
test_percent_encode_table(void **state)
{
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		assert_int_equal(
		    b2_percent_encode(enc_cases[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, enc_cases[i].out);
	}
}

static void
test_percent_encode_bounds(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(b2_percent_encode("abc", out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(b2_percent_encode("abcd", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(b2_percent_encode("a ", out, sizeof(out)), -1);
	assert_int_equal(b2_percent_encode(" ", out, sizeof(out)), 0);
	assert_string_equal(out, "%20");
	assert_int_equal(b2_percent_encode("x", out, 0), -1);
}

static const char auth_v3[] =
    "{\"accountId\":\"6012deadbeef\",\"authorizationToken\":\"4_0022abc=\","
    "\"applicationKeyExpirationTimestamp\":null,\"apiInfo\":{\"groupsApi\":"
    "{\"capabilities\":[\"all\"],\"groupsApiUrl\":\"https://api004.backbla"
    "zeb2.com\",\"infoType\":\"groupsApi\"},\"storageApi\":{\"infoType\":"
    "\"storageApi\",\"apiUrl\":\"https://api004.backblazeb2.com\","
    "\"downloadUrl\":\"https://f004.backblazeb2.com\",\"s3ApiUrl\":\"https:"
    "//s3.us-west-004.backblazeb2.com\",\"recommendedPartSize\":100000000,"
    "\"absoluteMinimumPartSize\":5000000,\"bucketId\":null,\"bucketName\":"
    "null,\"namePrefix\":null,\"capabilities\":[\"listFiles\"]}}}";

static const char auth_v2[] =
    "{\"absoluteMinimumPartSize\":5000000,\"accountId\":\"hidden-account-id"
    "\",\"allowed\":{\"bucketId\":\"8d625eb63be2775577c70e1a\",\"bucketName"
    "\":\"testing-b2-client\",\"capabilities\":[\"listFiles\",\"writeFiles"
    "\"],\"namePrefix\":null},\"apiUrl\":\"https://api002.backblazeb2.com\","
    "\"authorizationToken\":\"tok2\",\"downloadUrl\":\"https://f002.backbla"
    "zeb2.com\",\"recommendedPartSize\":100000000,\"s3ApiUrl\":\"https://s3"
    ".us-west-002.backblazeb2.com\"}";

static const char auth_v4[] =
    "{\"accountId\":\"a\",\"authorizationToken\":\"t\",\"apiInfo\":{"
    "\"storageApi\":{\"apiUrl\":\"http://127.0.0.1:1\",\"downloadUrl\":"
    "\"http://127.0.0.1:2\",\"recommendedPartSize\":4000,"
    "\"absoluteMinimumPartSize\":1000,\"allowed\":{\"buckets\":[{\"id\":"
    "\"bid\",\"name\":\"backups\"}],\"capabilities\":[],\"namePrefix\":null}"
    "}}}";

static void
test_parse_authorize_layouts(void **state)
{
	struct b2_auth a;
	char err[128];

	(void)state;
	assert_int_equal(
	    b2_parse_authorize(auth_v3, strlen(auth_v3), &a, err, sizeof(err)),
	    0);
	assert_string_equal(a.account_id, "6012deadbeef");
	assert_string_equal(a.token, "4_0022abc=");
	assert_string_equal(a.api_url, "https://api004.backblazeb2.com");
	assert_string_equal(a.download_url, "https://f004.backblazeb2.com");
	assert_true(a.recommended_part_size == 100000000);
	assert_true(a.minimum_part_size == 5000000);
	assert_string_equal(a.bucket_id, "");

	assert_int_equal(
	    b2_parse_authorize(auth_v2, strlen(auth_v2), &a, err, sizeof(err)),
	    0);
	assert_string_equal(a.api_url, "https://api002.backblazeb2.com");
	assert_string_equal(a.bucket_id, "8d625eb63be2775577c70e1a");
	assert_string_equal(a.bucket_name, "testing-b2-client");
	assert_true(a.minimum_part_size == 5000000);

	assert_int_equal(
	    b2_parse_authorize(auth_v4, strlen(auth_v4), &a, err, sizeof(err)),
	    0);
	assert_string_equal(a.bucket_id, "bid");
	assert_string_equal(a.bucket_name, "backups");
	assert_true(a.recommended_part_size == 4000);
	assert_true(a.minimum_part_size == 1000);
}

static void
test_parse_authorize_bad(void **state)
{
	static const char *bad[] = {
		"",
		"[]",
		"{\"accountId\":\"a\"}",
		"{\"accountId\":\"a\",\"authorizationToken\":\"t\"}",
		"{\"accountId\":\"a\",\"authorizationToken\":\"t\",\"apiUrl\":"
		"\"ftp://x\",\"downloadUrl\":\"https://d\"}",
		"{\"accountId\":\"a\",\"authorizationToken\":\"t\",\"apiUrl\":"
		"\"https://x\",\"downloadUrl\":\"https://d\","
		"\"recommendedPartSize\":\"100\"}",
		"{\"accountId\":\"a\",\"authorizationToken\":\"t\",\"apiUrl\":"
		"\"https://x\",\"downloadUrl\":\"https://d\","
		"\"absoluteMinimumPartSize\":0}",
		"{\"accountId\":\"a\",\"authorizationToken\":\"t\",\"apiUrl\":"
		"\"https://x\",\"downloadUrl\":\"https://d\","
		"\"allowed\":{\"bucketId\":7}}",
		"{\"accountId\":1,\"authorizationToken\":\"t\"}",
	};
	struct b2_auth a;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(b2_parse_authorize(bad[i], strlen(bad[i]), &a,
				     err, sizeof(err)),
		    -1);
		assert_true(err[0] != '\0');
	}
	/* Truncated JSON, as a cut connection leaves it. */
	assert_int_equal(b2_parse_authorize(auth_v3, strlen(auth_v3) / 2, &a,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "invalid JSON"));
	/* Missing part sizes take B2's documented defaults. */
	{
		static const char j[] =
		    "{\"accountId\":\"a\",\"authorization"
		    "Token\":\"t\",\"apiUrl\":\"https://x\",\"downloadUrl\":"
		    "\"https://d\",\"recommendedPartSize\":null}";

		assert_int_equal(
		    b2_parse_authorize(j, strlen(j), &a, err, sizeof(err)), 0);
		assert_true(a.recommended_part_size == 100000000);
		assert_true(a.minimum_part_size == 5000000);
	}
}

struct collected {
	int n;
	int stop_after;
	struct b2_file f[8];
};

static int
collect(const struct b2_file *f, void *arg)
{
	struct collected *c = arg;

	if (c->n < 8)
		c->f[c->n] = *f;
	c->n++;
	return c->stop_after > 0 && c->n >= c->stop_after ? 1 : 0;
}

static const char list_recorded[] =
    "{\"files\":[{\"accountId\":\"x\",\"action\":\"upload\",\"bucketId\":"
    "\"8d625eb63be2775577c70e1a\",\"contentLength\":4,\"contentMd5\":"
    "\"e2fc714c4727ee9395f324cd2e7f331f\",\"contentSha1\":\"81fe8bfe87576c3"
    "ecb22426f8e57847382917acf\",\"contentType\":\"text/plain\",\"fileId\":"
    "\"4_z8d625eb63be2775577c70e1a_f1187926dea44b322_d20211230_m171512_c002"
    "_v0001110_t0055\",\"fileInfo\":{},\"fileName\":\"test-file-upload.txt"
    "\",\"fileRetention\":{\"isClientAuthorizedToRead\":true,\"value\":{"
    "\"mode\":null,\"retainUntilTimestamp\":null}},\"legalHold\":{"
    "\"isClientAuthorizedToRead\":true,\"value\":null},\"serverSide"
    "Encryption\":{\"algorithm\":null,\"mode\":null},\"uploadTimestamp\":"
    "1640884512000},{\"action\":\"start\",\"fileName\":\"big\",\"fileId\":"
    "\"f2\",\"contentLength\":0,\"contentSha1\":\"none\",\"uploadTimestamp\""
    ":1},{\"fileName\":\"v1\",\"fileId\":\"f3\",\"size\":77,\"action\":null"
    "}],\"nextFileName\":\"test-file-upload.txt\\u0000\",\"nextFileId\":"
    "\"f9\"}";

static void
test_parse_list(void **state)
{
	struct collected c = { 0 };
	char next[64], next_id[64], err[128];

	(void)state;
	/* An embedded NUL in nextFileName is refused. */
	assert_int_equal(
	    b2_parse_list(list_recorded, strlen(list_recorded), collect, &c,
		next, sizeof(next), next_id, sizeof(next_id), err, sizeof(err)),
	    -1);
}

static void
test_parse_list_pages(void **state)
{
	static const char page[] =
	    "{\"files\":[{\"action\":\"upload\",\"fileName\":\"daily_a.tar.gpg"
	    "\",\"fileId\":\"1\",\"contentLength\":1000,\"contentSha1\":\"none"
	    "\",\"uploadTimestamp\":1700000000000},{\"action\":\"hide\","
	    "\"fileName\":\"daily_b.tar.gpg\",\"fileId\":\"2\",\"contentLength"
	    "\":0,\"uploadTimestamp\":1700000001000},{\"action\":\"start\","
	    "\"fileName\":\"big\",\"fileId\":\"f2\",\"contentLength\":0,"
	    "\"contentSha1\":\"none\",\"uploadTimestamp\":1},{\"fileName\":"
	    "\"v1\",\"fileId\":\"f3\",\"size\":77,\"action\":null}],"
	    "\"nextFileName\":\"daily_c\",\"nextFileId\":\"f9\"}";
	static const char last[] = "{\"files\":[],\"nextFileName\":null}";
	struct collected c = { 0 };
	char next[64], next_id[64], err[128];

	(void)state;
	assert_int_equal(
	    b2_parse_list(page, strlen(page), collect, &c, next, sizeof(next),
		next_id, sizeof(next_id), err, sizeof(err)),
	    0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.f[0].name, "daily_a.tar.gpg");
	assert_string_equal(c.f[0].action, "upload");
	assert_true(c.f[0].size == 1000);
	assert_true(c.f[0].upload_ms == 1700000000000LL);
	assert_string_equal(c.f[1].action, "hide");
	assert_string_equal(c.f[2].action, "start");
	assert_string_equal(c.f[2].sha1, "none");
	/* v1 "size", null action means upload */
	assert_true(c.f[3].size == 77);
	assert_string_equal(c.f[3].action, "upload");
	assert_string_equal(next, "daily_c");
	assert_string_equal(next_id, "f9");

	c.n = 0;
	assert_int_equal(b2_parse_list(last, strlen(last), collect, &c, next,
			     sizeof(next), NULL, 0, err, sizeof(err)),
	    0);
	assert_int_equal(c.n, 0);
	assert_string_equal(next, "");

	c.n = 0;
	c.stop_after = 2;
	assert_int_equal(b2_parse_list(page, strlen(page), collect, &c, next,
			     sizeof(next), NULL, 0, err, sizeof(err)),
	    1);
	assert_int_equal(c.n, 2);
}

static void
test_parse_list_bad(void **state)
{
	static const char *bad[] = {
		"{\"files\":{}}",
		"{\"nextFileName\":null}",
		"{\"files\":[1]}",
		"{\"files\":[{\"fileName\":7}]}",
		"{\"files\":[{\"fileName\":\"a\",\"contentLength\":\"4\"}]}",
		"{\"files\":[{\"fileName\":\"a\",\"uploadTimestamp\":1.5}]}",
		"{\"files\":[],\"nextFileName\":5}",
		"{\"files\":[{\"fileName\":\"a\"}",
		"not json",
	};
	struct collected c = { 0 };
	char next[64], err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    b2_parse_list(bad[i], strlen(bad[i]), collect, &c, next,
			sizeof(next), NULL, 0, err, sizeof(err)),
		    -1);
	/* nextFileName longer than the caller's buffer */
	{
		static const char j[] = "{\"files\":[],\"nextFileName\":"
					"\"0123456789\"}";

		assert_int_equal(b2_parse_list(j, strlen(j), collect, &c, next,
				     8, NULL, 0, err, sizeof(err)),
		    -1);
	}
}

static void
test_parse_file(void **state)
{
	static const char j[] =
	    "{\"accountId\":\"a\",\"action\":\"upload\","
	    "\"bucketId\":\"b\",\"contentLength\":12000,\"contentMd5\":null,"
	    "\"contentSha1\":\"none\",\"contentType\":\"application/octet-"
	    "stream\",\"fileId\":\"4_zabc\",\"fileInfo\":{},\"fileName\":"
	    "\"daily_x.tar.gpg\",\"uploadTimestamp\":1636751469000}";
	struct b2_file f;
	char err[128];

	(void)state;
	assert_int_equal(b2_parse_file(j, strlen(j), &f, err, sizeof(err)), 0);
	assert_string_equal(f.id, "4_zabc");
	assert_true(f.size == 12000);
	assert_int_equal(b2_parse_file("{}", 2, &f, err, sizeof(err)), -1);
}

static void
test_parse_error(void **state)
{
	static const char j[] = "{\"code\":\"bad_auth_token\",\"message\":"
				"\"line1\\nline2\",\"status\":401}";
	char code[32], msg[64];

	(void)state;
	b2_parse_error(j, strlen(j), code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "bad_auth_token");
	assert_string_equal(msg, "line1 line2");
	b2_parse_error("", 0, code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "");
	assert_string_equal(msg, "");
	b2_parse_error(
	    "<html>502</html>", 16, code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(code, "");
	b2_parse_error(NULL, 0, code, sizeof(code), msg, sizeof(msg));
	assert_string_equal(msg, "");
	/* a long message is cut, not dropped; odd code characters masked */
	{
		static const char k[] = "{\"code\":\"a b\",\"message\":"
					"\"0123456789abcdef\"}";

		b2_parse_error(k, strlen(k), code, sizeof(code), msg, 8);
		assert_string_equal(code, "a?b");
		assert_string_equal(msg, "0123456");
	}
}

static void
test_retry_after(void **state)
{
	(void)state;
	assert_true(b2_parse_retry_after("5") == 5.0);
	assert_true(b2_parse_retry_after("0") == 0.0);
	assert_true(b2_parse_retry_after("1.5") == 1.5);
	assert_true(b2_parse_retry_after("2 ") == 2.0);
	assert_true(b2_parse_retry_after("") < 0);
	assert_true(b2_parse_retry_after(NULL) < 0);
	assert_true(b2_parse_retry_after("-3") < 0);
	assert_true(b2_parse_retry_after("abc") < 0);
	assert_true(b2_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") < 0);
	assert_true(b2_parse_retry_after("nan") < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent_encode_table),
		cmocka_unit_test(test_percent_encode_bounds),
		cmocka_unit_test(test_parse_authorize_layouts),
		cmocka_unit_test(test_parse_authorize_bad),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_list_pages),
		cmocka_unit_test(test_parse_list_bad),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_retry_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
