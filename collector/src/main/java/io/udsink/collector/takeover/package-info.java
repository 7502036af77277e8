/**
 * Live takeover: a running instance hands its bound sockets (and, for {@code serve}, its
 * cumulative Prometheus state) to a new one over a private control socket, so that an upgrade or a
 * restart without systemd loses nothing and senders see no error.
 *
 * <pre>
 *   new instance                                   running instance (control socket, 0600)
 *   connect ------------------------------------->  peer credentials: same user or root?
 *   "udsink-takeover" 1, kind, socket specs ----->  same kind, same sockets?
 *   &lt;------------------- "offer", specs, SCM_RIGHTS (or "refused", reason)
 *   adds the sockets to its running loop           (both read: each datagram is read once)
 *   "ready" ------------------------------------->  stops reading (no shutdown, files stay),
 *                                                  final flush, closes its HTTP endpoint
 *   &lt;------------------- "state", bytes (serve), "done"
 *   merges the state, opens /metrics               prints its result, exits 0
 * </pre>
 *
 * If the new instance dies or does not say "ready" within the confirm timeout, the running one
 * goes on serving as if nothing happened.
 */
package io.udsink.collector.takeover;
