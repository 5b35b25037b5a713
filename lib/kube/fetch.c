/* Plain HTTP(S) GET (kube_fetch_url); curl itself is set up in lib/net. */
#include <string.h>

#include "kube/kube_int.h"
#include "net/net.h"

struct fetch_sink {
	struct buf *out;
	int rc; /* buf error (GS_ETOOBIG) if the body went over the cap */
};

static size_t fetch_write(char *p, size_t size, size_t n, void *ud)
{
	struct fetch_sink *s = ud;
	if (buf_add(s->out, p, size * n) < 0) {
		s->rc = GS_ETOOBIG;
		return 0; /* aborts the transfer */
	}
	return size * n;
}

static const char *reason_phrase(long st)
{
	switch (st) {
	case 400: return " Bad Request";
	case 401: return " Unauthorized";
	case 403: return " Forbidden";
	case 404: return " Not Found";
	case 410: return " Gone";
	case 429: return " Too Many Requests";
	case 500: return " Internal Server Error";
	case 502: return " Bad Gateway";
	case 503: return " Service Unavailable";
	case 504: return " Gateway Timeout";
	default: return "";
	}
}

int kube_fetch_url(struct buf *out, const char *url, long timeout_ms)
{
	struct fetch_sink sink = { out, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	CURLcode cc;
	long status = 0;
	size_t start = out->len;
	int rc;

	if (!url || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
		return gs_error(GS_EINVAL, "%s: not an http(s) URL", url ? url : "(null)");
	if ((rc = net_init()) < 0)
		return rc;
	if (out->max == 0)
		out->max = KUBE_FETCH_MAX;
	if (timeout_ms <= 0)
		timeout_ms = 30000;
	if (!(h = curl_easy_init()))
		return gs_error(GS_ENOMEM, "GET %s: curl_easy_init failed", url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(out->max - out->len));
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl decodes */
	curl_easy_setopt(h, CURLOPT_USERAGENT, "gitseal");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (sink.rc || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = gs_error(GS_ETOOBIG, "GET %s: response larger than %zu bytes", url, out->max);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		rc = gs_error(GS_EIO, "GET %s: timed out after %ld ms", url, timeout_ms);
	} else if (cc != CURLE_OK) {
		rc = gs_error(GS_EIO, "GET %s: %s", url,
		              errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (status < 200 || status > 299) {
		rc = gs_error(status == 404 ? GS_ENOTFOUND : GS_EIO, "GET %s: HTTP %ld%s", url,
		              status, reason_phrase(status));
	} else {
		rc = 0;
	}
	if (rc < 0)
		buf_truncate(out, start);
	curl_easy_cleanup(h);
	return rc;
}
