/**
 * The receive loop: one thread reading every socket.
 *
 * <p>In: bound sockets. Out: each datagram, once, to a
 * {@link io.udsink.collector.loop.DatagramHandler} (for {@code serve}, the parser), a timer for
 * the flush, and the lossless stop (drain, then the handler's {@code onStop}).
 */
package io.udsink.collector.loop;
