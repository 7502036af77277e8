package io.udsink.client;

import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.AsynchronousCloseException;
import java.util.Locale;
import org.newsclub.net.unix.BrokenPipeSocketException;
import org.newsclub.net.unix.ConnectionRefusedSocketException;

/**
 * The collector at a socket path cannot take datagrams: its socket file is missing, nothing is
 * bound to it, or it has stopped receiving. The kernel reports each of these before it queues
 * anything, so a datagram whose send failed this way was certainly not received.
 */
public final class CollectorUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why the collector cannot take datagrams. */
  public enum Reason {
    /** ENOENT: there is no socket file at the path (the collector is not running). */
    NO_SOCKET_FILE("ENOENT", "no socket file (is the collector running?)"),
    /** ECONNREFUSED: a socket file exists but nothing is bound to it, or the collector closed. */
    REFUSED("ECONNREFUSED", "connection refused (stale socket file, or the collector closed)"),
    /** EPIPE: the collector shut its socket down for reading; it is stopping. */
    SHUT_DOWN("EPIPE", "the collector stopped receiving (it is shutting down)"),
    /** EACCES: this user may not send to the socket (its mode, group or directory forbids it). */
    PERMISSION_DENIED(
        "EACCES",
        "permission denied (the socket's mode or group, or a directory "
            + "on its path, does not let this user in)");

    private final String errno;
    private final String description;

    Reason(String errno, String description) {
      this.errno = errno;
      this.description = description;
    }

    /** The kernel's name for the condition, for example {@code EPIPE}. */
    public String errno() {
      return errno;
    }

    /** A short description for people. */
    public String description() {
      return description;
    }
  }

  private final String path;
  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param path the socket path or {@code @name} that was addressed
   * @param reason why the collector is unavailable
   * @param cause the low-level exception, or {@code null}
   */
  public CollectorUnavailableException(String path, Reason reason, Throwable cause) {
    super(
        "collector at " + path + " unavailable: " + reason.errno() + ", " + reason.description(),
        cause);
    this.path = path;
    this.reason = reason;
  }

  /** The socket path (or {@code @name}) that was addressed. */
  public String path() {
    return path;
  }

  /** Why the collector is unavailable. */
  public Reason reason() {
    return reason;
  }

  /**
   * Maps a failure of a send, write or connect on a Unix datagram channel to the collector being
   * unavailable, when it is one of the three conditions that say so.
   *
   * @param path the socket path addressed, for the message
   * @param failure what the channel threw
   * @return the typed exception, or {@code null} when {@code failure} is some other error
   */
  public static CollectorUnavailableException classify(String path, Throwable failure) {
    Reason reason = reasonOf(failure);
    if (reason == null && failure != null) {
      reason = reasonOf(failure.getCause());
    }
    return reason == null ? null : new CollectorUnavailableException(path, reason, failure);
  }

  private static Reason reasonOf(Throwable t) {
    // junixsocket reports EACCES on connect as a ConnectionRefusedSocketException: read the text
    if (t instanceof SocketException
        && t.getMessage() != null
        && t.getMessage().toLowerCase(Locale.ROOT).contains("permission denied")) {
      return Reason.PERMISSION_DENIED;
    }
    if (t instanceof BrokenPipeSocketException) {
      return Reason.SHUT_DOWN;
    }
    if (t instanceof ConnectionRefusedSocketException) {
      return Reason.REFUSED;
    }
    if (t instanceof AsynchronousCloseException
        && t.getCause() instanceof BrokenPipeSocketException) {
      return Reason.SHUT_DOWN;
    }
    if (t instanceof SocketException && t.getMessage() != null) {
      String m = t.getMessage().toLowerCase(Locale.ROOT);
      if (m.contains("no such file or directory")) {
        return Reason.NO_SOCKET_FILE;
      }
      if (m.contains("connection refused")) {
        return Reason.REFUSED;
      }
      if (m.contains("broken pipe")) {
        return Reason.SHUT_DOWN;
      }
    }
    return null;
  }
}
