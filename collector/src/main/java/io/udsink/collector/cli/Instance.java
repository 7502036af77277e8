package io.udsink.collector.cli;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.takeover.ControlServer;
import io.udsink.collector.takeover.TakeoverClient;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SystemdNotify;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a command that reads sockets ({@code serve}, {@code count}) once its loop exists:
 * finish a takeover it started, listen for one of its own, tell systemd it is ready, run until
 * stopped, and see a handover through.
 */
final class Instance {
  private static final Logger LOG = LoggerFactory.getLogger(Instance.class);
  private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(10);

  /** What a command adds to its life. */
  interface Hooks {
    /** Takes the state the previous instance handed over (serve: its Prometheus state). */
    default void continueFrom(java.io.InputStream state) throws Exception {}

    /** Runs once the sockets are this instance's alone, before it says it is ready. */
    default void ready() {}

    /** After the loop stopped for a handover: what to hand over (serve: Prometheus state). */
    default byte[] handedOver() throws Exception {
      return new byte[0];
    }
  }

  private Instance() {}

  /**
   * Runs the loop to its end.
   *
   * @param kind {@code serve} or {@code count}
   * @param loop the loop, not yet started
   * @param opened the sockets, and the takeover they came from
   * @param signals where SIGTERM/SIGINT land
   * @param stateTimeout how long to wait for the previous instance's final flush and state
   * @param hooks the command's parts
   * @return true when this instance handed its sockets over to a new one
   */
  static boolean run(
      String kind,
      ReceiveLoop loop,
      ReceiveOptions.Opened opened,
      StopSignals signals,
      Duration stateTimeout,
      Hooks hooks)
      throws Exception {
    SystemdNotify notify = SystemdNotify.of(System.getenv("NOTIFY_SOCKET"));
    signals.onStop(
        () -> {
          LOG.info("stopping: reading every socket until it is empty, then the final flush");
          notify.send("STOPPING=1");
          loop.requestStop();
        });
    Thread thread = loop.start();
    if (!loop.awaitRunning(30, TimeUnit.SECONDS)) {
      throw new UdsinkException("the receive loop did not start");
    }
    TakeoverClient takeover = opened.takeover();
    if (takeover != null) {
      // from here nothing may fail: the sockets are ours and read, whatever the state does
      try (takeover) {
        takeover.confirm();
        if (takeover.awaitState(stateTimeout, hooks::continueFrom)) {
          LOG.info("took over: the previous instance made its final flush and stopped");
        }
      } catch (Exception | OutOfMemoryError e) {
        // go on serving, but say what was lost on the way
        LOG.error("takeover did not complete: {}", e.toString());
      }
    }
    hooks.ready();
    ControlServer control =
        opened.allInherited()
            ? null
            : ControlServer.start(
                new ControlServer.Handover() {
                  @Override
                  public String kind() {
                    return kind;
                  }

                  @Override
                  public List<BoundSocket> sockets() {
                    return opened.sockets();
                  }

                  @Override
                  public byte[] release() throws Exception {
                    notify.send("STOPPING=1");
                    loop.requestRelease();
                    if (!loop.awaitTermination(stateTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                      throw new UdsinkException("the final flush did not finish in time");
                    }
                    return hooks.handedOver();
                  }
                },
                CONFIRM_TIMEOUT);
    notify.send("READY=1");
    thread.join();
    boolean handedOver = false;
    if (control != null) {
      if (control.handingOver()) {
        handedOver = control.awaitFinished(stateTimeout);
        LOG.info("handed over to a new instance");
      }
      control.close();
    }
    return handedOver;
  }
}
