/**
 * The native layer: the only code that calls the operating system through
 * {@code java.lang.foreign}. Everything else calls its typed methods; no {@code MemorySegment}
 * leaves the package.
 *
 * <ul>
 *   <li>{@link io.udsink.collector.sys.BatchReceiver}: {@code recvmmsg(2)} into one preallocated
 *       region, with each datagram's truncation and sender credentials;</li>
 *   <li>{@link io.udsink.collector.sys.Sockets}: {@code shutdown(SHUT_RD)}, {@code SO_PASSCRED},
 *       and a non-blocking {@code sendto} with a deadline (systemd notifications);</li>
 *   <li>{@link io.udsink.collector.sys.Fs}: file operations that cannot be redirected:
 *       {@code openat} with {@code O_NOFOLLOW}, {@code statx} on the open descriptor,
 *       {@code mkdirat}, {@code fchmod}, {@code fchown}, {@code unlinkat}, and a walk of a path one
 *       component at a time.</li>
 * </ul>
 *
 * It runs on Linux on x86_64 and aarch64, whose constants and layouts it knows; anywhere else
 * {@link io.udsink.collector.sys.Native#check()} says exactly why, and udsink exits 2 at start. It
 * never falls back to another path silently.
 */
package io.udsink.collector.sys;
