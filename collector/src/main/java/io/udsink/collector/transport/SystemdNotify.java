package io.udsink.collector.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's readiness protocol: when {@code NOTIFY_SOCKET} is set (a path, or {@code @name} in the
 * abstract namespace), state changes such as {@code READY=1} and {@code STOPPING=1} are sent to it
 * as datagrams. Without it, nothing is sent.
 */
public final class SystemdNotify {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);
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
    try (AFUNIXDatagramChannel ch = AFUNIXDatagramChannel.open()) {
      AFUNIXSocketAddress addr = target.startsWith("@")
          ? AFUNIXSocketAddress.inAbstractNamespace(target.substring(1))
          : AFUNIXSocketAddress.of(Path.of(target));
      ch.send(ByteBuffer.wrap(state.getBytes(StandardCharsets.UTF_8)), addr);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot notify systemd at {} ({}): {}", target, state, e.toString());
    }
  }
}
