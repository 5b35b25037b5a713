/* make crd: print the Application CRD generated from lib/app's field table (app_crd_yaml()). */
#include <stdio.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"

int main(void)
{
	struct buf out = BUF_INIT(1 << 20);
	int rc = app_crd_yaml(&out);
	if (rc >= 0)
		rc = file_write_all(1, out.p, out.len, "stdout");
	if (rc < 0)
		fprintf(stderr, "gen-app-crd: %s\n", gs_error_last());
	buf_release(&out);
	return rc < 0;
}
