package io.udsink.client;

import java.time.Duration;

/**
 * Told about delivery problems, on the client's sender thread. Must not block for long; anything it
 * throws is ignored.
 */
public interface ClientErrorHandler {
  /**
   * A problem: once per outage for {@link CollectorUnavailableException} (not once per emit), and
   * for other send errors.
   *
   * @param error what went wrong
   */
  void onError(Exception error);

  /**
   * The collector is reachable again after an outage.
   *
   * @param path the socket path or {@code @name}
   * @param outage how long it was unavailable
   */
  default void onRecovered(String path, Duration outage) {}

  /** Logs to standard error, which is what a client without a handler does. */
  ClientErrorHandler STDERR =
      new ClientErrorHandler() {
        @Override
        public void onError(Exception error) {
          System.err.println("udsink client: " + error.getMessage());
        }

        @Override
        public void onRecovered(String path, Duration outage) {
          System.err.println(
              "udsink client: collector at "
                  + path
                  + " is back after "
                  + outage.toMillis()
                  + " ms");
        }
      };
}
