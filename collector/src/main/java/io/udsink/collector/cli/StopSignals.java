package io.udsink.collector.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGINT and SIGTERM into a call to a stop action, without starting the JVM's shutdown, so
 * that the command finishes its lossless stop, prints its result and exits with its own status.
 *
 * <p>Installed first thing, before any socket is bound: a signal that arrives before the stop
 * action exists is remembered and acted on as soon as it does. A second signal during the stop
 * runs the force action (it ends a wait for a stuck output at once). SIGHUP never stops udsink:
 * it runs the hang-up action (reopen the output file, reload what is reloadable). Falls back to a
 * shutdown hook where the signal API is unavailable.
 */
final class StopSignals {
  private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);

  private int signals;
  private Runnable stop;
  private Runnable force;
  private Runnable hangup;
  private boolean hangupPending;

  StopSignals() {}

  /** Installs the handlers for SIGTERM and SIGINT. */
  @SuppressWarnings("removal")
  static StopSignals install() {
    StopSignals s = new StopSignals();
    try {
      for (String name : new String[] {"TERM", "INT"}) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> s.signal());
      }
    } catch (Throwable e) {
      LOG.debug("signal handlers unavailable ({}); using a shutdown hook", e.toString());
      Runtime.getRuntime().addShutdownHook(new Thread(s::signal, "udsink-stop"));
    }
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> s.hangup());
    } catch (Throwable e) {
      LOG.debug("no SIGHUP handler ({})", e.toString());
    }
    return s;
  }

  void signal() {
    Runnable action;
    synchronized (this) {
      signals++;
      action = signals == 1 ? stop : force;
    }
    if (signals > 1) {
      LOG.warn("second stop signal: not waiting any longer for the outputs");
    }
    if (action != null) {
      action.run();
    }
  }

  void hangup() {
    Runnable action;
    synchronized (this) {
      action = hangup;
      hangupPending = action == null;
    }
    if (action != null) {
      action.run();
    } else {
      LOG.info("SIGHUP before start-up finished: acted on once it has");
    }
  }

  /** True once a stop signal arrived. */
  synchronized boolean stopRequested() {
    return signals > 0;
  }

  /**
   * Names the stop action; runs it at once if a signal came first.
   *
   * @param action starts the lossless stop
   */
  void onStop(Runnable action) {
    boolean now;
    synchronized (this) {
      stop = action;
      now = signals > 0;
    }
    if (now) {
      action.run();
    }
  }

  /**
   * Names what SIGHUP does; runs it at once if a SIGHUP came first, so that a file replaced and
   * signalled while udsink starts is not read stale until the next signal.
   *
   * @param action reopens and reloads; runs on the signal's thread, so it must not block long
   */
  void onHangup(Runnable action) {
    boolean now;
    synchronized (this) {
      hangup = action;
      now = hangupPending;
      hangupPending = false;
    }
    if (now) {
      action.run();
    }
  }

  /**
   * Names what a second signal does.
   *
   * @param action ends waits of the stop at once
   */
  void onForce(Runnable action) {
    boolean now;
    synchronized (this) {
      force = action;
      now = signals > 1;
    }
    if (now) {
      action.run();
    }
  }
}
