package io.udsink.collector.cli;

/** Built-in defaults, each overridable by an environment variable. */
final class Defaults {
  /** Socket used when no {@code --socket} is given ({@code UDSINK_SOCKET} overrides it). */
  static final String SOCKET_DEFAULT = "/tmp/udsink.sock";
  static final String SOCKET_ENV = "UDSINK_SOCKET";

  private Defaults() {
  }

  static String socket() {
    String env = System.getenv(SOCKET_ENV);
    return env == null || env.isBlank() ? SOCKET_DEFAULT : env;
  }
}
