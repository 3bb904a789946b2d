/*
 * Capabilities: capget agrees with /proc/self/status; capset drops a
 * capability from the effective set (then its checks say EPERM:
 * CAP_SYS_TIME for settimeofday, CAP_SYS_RESOURCE for a pipe past
 * pipe-max-size) and raises it again from the permitted set, but never
 * raises the permitted set nor sets another process's; the sets follow
 * setuid (all ids leaving 0 empties them, the effective uid leaving 0
 * empties the effective set, coming back restores it); the version
 * handshake.
 */
#include "common.h"
#include "procparse.h"

#include <fcntl.h>
#include <signal.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

static int capget_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d)
{
	return syscall(SYS_capget, h, d);
}

static int capset_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d)
{
	return syscall(SYS_capset, h, d);
}

/* The caller's sets, as 64-bit masks. */
static void sets(unsigned long long *eff, unsigned long long *prm)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	capget_(&h, d);
	*eff = d[0].effective | (unsigned long long)d[1].effective << 32;
	*prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
}

static int set_sets(unsigned long long eff, unsigned long long prm)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	d[0].effective = (unsigned)eff;
	d[1].effective = (unsigned)(eff >> 32);
	d[0].permitted = (unsigned)prm;
	d[1].permitted = (unsigned)(prm >> 32);
	return capset_(&h, d);
}

static unsigned long long status_mask(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = ~0ull;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0)
			sscanf(line + n, "%llx", &v);
	if (f)
		fclose(f);
	return v;
}

#define BIT(c) (1ull << (c))

static int drop_and_raise(void)
{
	unsigned long long eff, prm;
	sets(&eff, &prm);
	if (!(eff & BIT(CAP_SYS_TIME)))
		return 10;
	if (set_sets(eff & ~BIT(CAP_SYS_TIME), prm) != 0)
		return 1;
	struct timeval now;
	gettimeofday(&now, NULL);
	if (settimeofday(&now, NULL) != -1 || errno != EPERM)
		return 2;
	int p[2];
	pipe(p);
	if (set_sets(eff & ~BIT(CAP_SYS_TIME) & ~BIT(CAP_SYS_RESOURCE), prm) != 0)
		return 3;
	if (fcntl(p[1], F_SETPIPE_SZ, 64 << 20) != -1 || errno != EPERM)
		return 4;
	if (set_sets(eff, prm) != 0)
		return 5; /* raised again from the permitted set */
	if (set_sets(eff & ~BIT(CAP_SYS_TIME), prm & ~BIT(CAP_SYS_TIME)) != 0)
		return 6;
	if (set_sets(eff, prm) != -1 || errno != EPERM)
		return 7; /* the permitted set never grows */
	if (set_sets(eff & ~BIT(CAP_SYS_TIME) & ~BIT(CAP_KILL), prm & ~BIT(CAP_SYS_TIME) & ~BIT(CAP_KILL)) != 0)
		return 8;
	unsigned long long e2, p2;
	sets(&e2, &p2);
	if (set_sets(e2 | BIT(CAP_KILL), p2) != -1 || errno != EPERM)
		return 9; /* effective beyond permitted */
	return status_mask("CapEff:") == e2 ? 0 : 11;
}

static int follow_uids(void)
{
	unsigned long long eff, prm;
	if (setresuid(0, 65534, 0) != 0)
		return 1;
	sets(&eff, &prm);
	if (eff != 0 || prm == 0)
		return 2; /* effective emptied, permitted kept */
	if (seteuid(0) != 0)
		return 3;
	sets(&eff, &prm);
	if (eff != prm)
		return 4; /* effective restored */
	if (setresuid(65534, 65534, 65534) != 0)
		return 5;
	sets(&eff, &prm);
	if (eff != 0 || prm != 0)
		return 6;
	return status_mask("CapPrm:") == 0 ? 0 : 7;
}

int main(void)
{
	proc_mount_if_needed();
	unsigned long long eff, prm;
	sets(&eff, &prm);
	EXPECT_RET("capget agrees with CapEff", eff, status_mask("CapEff:"));
	EXPECT_RET("and with CapPrm", prm, status_mask("CapPrm:"));
	EXPECT_RET("root holds CAP_SYS_ADMIN", (eff >> CAP_SYS_ADMIN) & 1, 1);
	struct __user_cap_header_struct h = {0x12345678, 0};
	EXPECT_RET("a probe of an unknown version succeeds", capget_(&h, NULL), 0);
	EXPECT_RET("and learns version 3", h.version, _LINUX_CAPABILITY_VERSION_3);
	struct __user_cap_data_struct d[2];
	h.version = 0x12345678;
	EXPECT_ERRNO("capget of an unknown version with data", capget_(&h, d), EINVAL);
	pid_t other = fork();
	if (other == 0) {
		pause();
		_exit(0);
	}
	h.version = _LINUX_CAPABILITY_VERSION_3;
	h.pid = other;
	EXPECT_RET("capget of another process", capget_(&h, d), 0);
	EXPECT_ERRNO("capset of another process", capset_(&h, d), EPERM);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	EXPECT_RET("capset drops and raises effective capabilities; their checks follow", in_child(drop_and_raise), 0);
	EXPECT_RET("the sets follow the user ids", in_child(follow_uids), 0);
	return tdone();
}
