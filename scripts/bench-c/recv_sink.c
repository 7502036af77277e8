/*
 * recv_sink: the reference receiver for scripts/bench. The simplest correct receiver of a Unix
 * datagram socket: one blocking recv() per datagram, counting. On SIGTERM/SIGINT it shuts the
 * socket down for reading (senders then get EPIPE), reads with MSG_DONTWAIT until EAGAIN, and
 * prints rx=<datagrams> bytes=<bytes>.
 *
 * usage: recv_sink PATH
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH\n", argv[0]);
		return 2;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "recv_sink: path too long\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked recv() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("recv_sink: socket/bind");
		return 1;
	}

	static char buf[65537];
	unsigned long long rx = 0, bytes = 0;
	while (!stopping) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n >= 0) {
			rx++;
			bytes += (unsigned long long)n;
		} else if (errno != EINTR) {
			perror("recv_sink: recv");
			break;
		}
	}
	shutdown(fd, SHUT_RD);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0) {
			rx++;
			bytes += (unsigned long long)n;
		} else if (errno != EINTR) {
			break; /* EAGAIN: empty, and nothing more can arrive */
		}
	}
	close(fd);
	unlink(argv[1]);
	printf("rx=%llu bytes=%llu\n", rx, bytes);
	return 0;
}
