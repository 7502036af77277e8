/**
 * Transport: AF_UNIX datagram sockets.
 *
 * <p>In: socket paths and {@code @names} to bind, descriptors systemd passes (socket activation)
 * or a running instance hands over. Out: {@link io.udsink.collector.transport.BoundSocket}s that
 * * the receive loop reads in batches, shut down for reading and removed at a normal
 * stop, or let go untouched when they are shared.
 */
package io.udsink.collector.transport;
