package io.udsink.collector.util;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a thread of udsink dies or memory runs out: never a half-alive process. The
 * first fatal error releases a memory reserve (so that the stop has room to work), is logged,
 * and starts the normal stop (drain, final flush of what is possible); the command then exits
 * non-zero. Every thread without its own handler reports here.
 */
public final class Fatal {
  private static final Logger LOG = LoggerFactory.getLogger(Fatal.class);
  private static final int RESERVE_BYTES = 2 << 20;

  private static volatile byte[] reserve;
  private static volatile Throwable first;
  private static volatile Runnable stop = () -> {};

  private Fatal() {}

  /**
   * Arms the handler: sets aside the memory reserve, makes every thread's uncaught exception
   * fatal, and names what stops the process.
   *
   * @param stopAction starts the normal stop; safe from any thread
   */
  public static void install(Runnable stopAction) {
    reserve = new byte[RESERVE_BYTES];
    first = null;
    stop = stopAction;
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> report(t.getName(), e));
  }

  /**
   * Reports a fatal error and starts the stop. Safe to call more than once; only the first is
   * logged in full.
   *
   * @param where the thread or part of udsink that failed
   * @param e the error
   */
  public static void report(String where, Throwable e) {
    reserve = null;
    boolean firstOne = first == null;
    if (firstOne) {
      first = e;
    }
    try {
      if (firstOne) {
        LOG.error(
            "fatal: {} failed: {}; stopping (draining the sockets, final flush)",
            where,
            e instanceof OutOfMemoryError ? "out of memory (" + e.getMessage() + ")" : e,
            e);
      } else {
        LOG.error("fatal: {} failed too: {}", where, e.toString());
      }
    } catch (Throwable ignored) {
      // logging itself may fail when memory is gone; the stop still runs
    }
    stop.run();
  }

  /** The first fatal error, or null. */
  public static Throwable first() {
    return first;
  }
}
