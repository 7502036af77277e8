package io.udsink.collector.transport;

import io.udsink.collector.sys.Sockets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's readiness protocol: when {@code NOTIFY_SOCKET} is set (a path, or {@code @name} in the
 * abstract namespace), state changes such as {@code READY=1} and {@code STOPPING=1} are sent to it
 * as datagrams. Without it, nothing is sent. A send never waits more than {@link #TIMEOUT_MS} for
 * room in the notify socket's queue: a systemd that does not read cannot hold a start or a stop.
 */
public final class SystemdNotify {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);

  /** Longest wait for room in the notify socket's queue. */
  static final long TIMEOUT_MS = 1000;

  private final String target;

  private SystemdNotify(String target) {
    this.target = target;
  }

  /**
   * From the environment.
   *
   * @param notifySocket {@code NOTIFY_SOCKET}, or null
   * @return the notifier (which does nothing without a socket)
   */
  public static SystemdNotify of(String notifySocket) {
    return new SystemdNotify(notifySocket == null || notifySocket.isBlank() ? null : notifySocket);
  }

  /**
   * Sends one state message; a failure is logged, never thrown.
   *
   * @param state for example {@code READY=1}
   */
  public void send(String state) {
    if (target == null) {
      return;
    }
    try {
      Sockets.sendDatagram(target, state.getBytes(StandardCharsets.UTF_8), TIMEOUT_MS);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot notify systemd at {} ({}): {}", target, state, e.toString());
    }
  }
}
