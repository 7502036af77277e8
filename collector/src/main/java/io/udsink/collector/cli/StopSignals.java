package io.udsink.collector.cli;

import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGINT and SIGTERM into a call to a stop action, without starting the JVM's shutdown, so
 * that the command finishes its lossless stop, prints its result and exits with its own status.
 * Falls back to a shutdown hook where the signal API is unavailable.
 */
final class StopSignals {
  private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);

  private StopSignals() {
  }

  @SuppressWarnings("removal")
  static void onStop(Runnable stop) {
    AtomicBoolean seen = new AtomicBoolean();
    Runnable once = () -> {
      if (seen.compareAndSet(false, true)) {
        stop.run();
      } else {
        LOG.info("stop already in progress: draining the sockets");
      }
    };
    try {
      for (String name : new String[] {"TERM", "INT"}) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> once.run());
      }
    } catch (Throwable e) {
      LOG.debug("signal handlers unavailable ({}); using a shutdown hook", e.toString());
      Runtime.getRuntime().addShutdownHook(new Thread(once, "udsink-stop"));
    }
  }
}
