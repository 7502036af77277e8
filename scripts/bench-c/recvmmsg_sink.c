/*
 * recvmmsg_sink: the batched reference receiver for scripts/bench. Waits in a blocking
 * recvmmsg() for up to 64 datagrams at a time (MSG_WAITFORONE: it returns as soon as one has
 * arrived, with whatever else is queued), counting. On SIGTERM/SIGINT it shuts the socket down
 * for reading, drains with MSG_DONTWAIT until EAGAIN, and prints rx=<datagrams> bytes=<bytes>.
 *
 * With PASSCRED=1 in the environment it sets SO_PASSCRED before bind and receives each datagram's
 * SCM_CREDENTIALS, as udsink does: the difference is what sender credentials cost.
 *
 * usage: [PASSCRED=1] recvmmsg_sink PATH
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 65536

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static char bufs[BATCH][SLOT];
static char controls[BATCH][CMSG_SPACE(sizeof(struct ucred))];
static int passcred;
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];

static int take(int fd, int flags, unsigned long long *rx, unsigned long long *bytes)
{
	if (passcred) {
		for (int i = 0; i < BATCH; i++) {
			msgs[i].msg_hdr.msg_controllen = sizeof(controls[i]);
		}
	}
	int n = recvmmsg(fd, msgs, BATCH, flags, NULL);
	for (int i = 0; i < n; i++) {
		*bytes += msgs[i].msg_len;
	}
	if (n > 0) {
		*rx += (unsigned long long)n;
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH\n", argv[0]);
		return 2;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "recvmmsg_sink: path too long\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked receive returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	const char *pc = getenv("PASSCRED");
	passcred = pc != NULL && strcmp(pc, "1") == 0;
	int one = 1;
	if (fd >= 0 && passcred && setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		perror("recvmmsg_sink: SO_PASSCRED");
		return 1;
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("recvmmsg_sink: socket/bind");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = SLOT;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (passcred) {
			msgs[i].msg_hdr.msg_control = controls[i];
		}
	}

	unsigned long long rx = 0, bytes = 0;
	while (!stopping) {
		if (take(fd, MSG_WAITFORONE, &rx, &bytes) < 0 && errno != EINTR) {
			perror("recvmmsg_sink: recvmmsg");
			break;
		}
	}
	shutdown(fd, SHUT_RD);
	for (;;) {
		if (take(fd, MSG_DONTWAIT, &rx, &bytes) < 0 && errno != EINTR) {
			break; /* EAGAIN: empty, and nothing more can arrive */
		}
	}
	close(fd);
	unlink(argv[1]);
	printf("rx=%llu bytes=%llu\n", rx, bytes);
	return 0;
}
