package io.udsink.collector.export.remotewrite;

import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.Backoff;
import io.udsink.collector.export.Output;
import io.udsink.collector.export.TelemetryMetric;
import io.udsink.collector.export.cumulative.CumulativeState;
import io.udsink.collector.util.Fatal;
import io.udsink.collector.util.RateLimitedLog;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes every flush to a remote-write receiver (Prometheus, VictoriaMetrics, Mimir, Thanos
 * Receive): protobuf compressed with snappy, the samples of every series shown, cumulative, at
 * the interval's end time.
 *
 * <pre>
 *   worker --write--> state.apply; encode; queue (drop oldest beyond the bound) <--sender thread
 *                                                                  POST, retry with back-off
 * </pre>
 *
 * <ul>
 *   <li>{@link #write} never waits on the network: it adds the interval to this output's own
 *       cumulative state, encodes the series in requests of at most {@value #SERIES_PER_REQUEST}
 *       and queues them; a sender thread posts them in order.</li>
 *   <li>5xx, 429 and network errors: the request is retried after a back-off (100 ms doubling to
 *       5 s); later requests wait behind it, so a receiver sees every series' samples in time
 *       order. Other 4xx: the receiver will never take it; dropped, counted, logged.</li>
 *   <li>The queue holds at most {@code maxQueuedBytes} of compressed requests; beyond it the
 *       oldest are dropped and counted. Counters and histograms are cumulative, so a dropped
 *       request costs the points of its time, not the totals: the next request carries them.</li>
 *   <li>At a stop the final flush is queued and the stop waits (up to {@code --stop-timeout})
 *       until the queue is sent.</li>
 * </ul>
 */
public final class RemoteWriteOutput implements Output {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteWriteOutput.class);

  /** Most series per request (Prometheus sends at most 2,000 samples per request). */
  static final int SERIES_PER_REQUEST = 2000;

  /** An encoded, compressed request and the samples it carries. */
  private record Request(byte[] body, int samples, long createdNs) {}

  private final String name;
  private final URI url;
  private final CumulativeState state;
  private final Map<String, String> externalLabels;
  private final Map<String, String> headers;
  private final Duration timeout;
  private final long maxQueuedBytes;
  private final HttpClient http;
  private final RateLimitedLog errorLog = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
  private final Thread sender;

  // guarded by this
  private final ArrayDeque<Request> queue = new ArrayDeque<>();
  private long queuedBytes;
  private long queuedSamples;
  private Request inFlight;
  private boolean lastQueued;
  private boolean closed;

  private final AtomicLong sentSamples = new AtomicLong();
  private final AtomicLong droppedSamples = new AtomicLong();
  private final AtomicLong rejectedSamples = new AtomicLong();
  private final AtomicLong redirectedSamples = new AtomicLong();
  private final AtomicLong failedRequests = new AtomicLong();

  /**
   * Creates the output and starts its sender.
   *
   * @param url the receiver's endpoint, for example {@code http://host:9090/api/v1/write}; user
   *     and password in it are sent as basic authentication
   * @param state this output's own cumulative state (not the one {@code /metrics} shows)
   * @param externalLabels labels every series gets unless it has one of that name
   * @param headers headers sent with every request (for example a tenant or a bearer token)
   * @param timeout how long one request may take
   * @param maxQueuedBytes most compressed bytes held for sending
   */
  public RemoteWriteOutput(
      URI url,
      CumulativeState state,
      Map<String, String> externalLabels,
      Map<String, String> headers,
      Duration timeout,
      long maxQueuedBytes) {
    this.url = withoutUserInfo(url);
    this.name = "remote_write " + redacted(this.url);
    this.state = state;
    this.externalLabels = Map.copyOf(externalLabels);
    Map<String, String> h = new LinkedHashMap<>(headers);
    if (url.getRawUserInfo() != null) {
      h.putIfAbsent(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(
                      java.net.URLDecoder.decode(url.getRawUserInfo(), StandardCharsets.UTF_8)
                          .getBytes(StandardCharsets.UTF_8)));
    }
    this.headers = Map.copyOf(h);
    boolean basic =
        h.entrySet().stream()
            .anyMatch(
                e ->
                    e.getKey().equalsIgnoreCase("Authorization")
                        && e.getValue().regionMatches(true, 0, "Basic ", 0, 6));
    if (basic && "http".equals(url.getScheme())) {
      LOG.warn(
          "{}: basic authentication over plain http: the password crosses the network "
              + "readable; use https",
          name);
    }
    this.timeout = timeout;
    this.maxQueuedBytes = maxQueuedBytes;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.sender = new Thread(this::sendLoop, "udsink-remote-write");
    this.sender.setDaemon(true);
    this.sender.start();
  }

  /**
   * The URL as it may be shown (output names, labels, logs): every query parameter's value
   * replaced by {@code <secret>}, since receivers take API keys there.
   *
   * @param u a URL without user information
   * @return it, for display
   */
  public static String redacted(URI u) {
    if (u.getRawQuery() == null) {
      return u.toString();
    }
    StringBuilder q = new StringBuilder();
    for (String part : u.getRawQuery().split("&", -1)) {
      if (q.length() > 0) {
        q.append('&');
      }
      int eq = part.indexOf('=');
      q.append(eq < 0 ? part : part.substring(0, eq + 1) + "<secret>");
    }
    String s = u.toString();
    return s.substring(0, s.indexOf('?') + 1)
        + q
        + (u.getRawFragment() == null ? "" : "#" + u.getRawFragment());
  }

  private static URI withoutUserInfo(URI u) {
    if (u.getRawUserInfo() == null) {
      return u;
    }
    try {
      return new URI(
          u.getScheme(),
          null,
          u.getHost(),
          u.getPort(),
          u.getPath(),
          u.getQuery(),
          u.getFragment());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Checks a remote-write URL given on the command line.
   *
   * @param text the URL
   * @return it, parsed
   * @throws IllegalArgumentException naming the problem
   */
  public static URI parseUrl(String text) {
    URI u;
    try {
      u = new URI(text);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + e.getMessage(), e);
    }
    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
      throw new IllegalArgumentException("not an http:// or https:// URL: " + text);
    }
    if (u.getHost() == null) {
      throw new IllegalArgumentException("no host in " + text);
    }
    return u;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void write(Interval iv) {
    List<CumulativeState.TimedPoint> timed = state.apply(iv);
    long now = System.nanoTime();
    if (!timed.isEmpty()) {
      // samples with their own time go first, in a request of their own: a receiver that
      // refuses one as out of order (older than what it holds) costs only these
      WriteRequest t = new WriteRequest();
      for (CumulativeState.TimedPoint p : timed) {
        Samples.add(
            new io.prometheus.metrics.model.snapshots.MetricSnapshots(p.snapshot()),
            externalLabels,
            p.timestampMs(),
            t);
      }
      queue(t, now);
    }
    WriteRequest w = new WriteRequest();
    Samples.add(state.snapshot(), externalLabels, iv.endMs(), w);
    queue(w, now);
    synchronized (this) {
      lastQueued |= iv.last();
      notifyAll();
    }
  }

  private void queue(WriteRequest w, long now) {
    for (int from = 0; from < w.size(); from += SERIES_PER_REQUEST) {
      int to = Math.min(w.size(), from + SERIES_PER_REQUEST);
      byte[] raw = w.encode(from, to);
      enqueue(new Request(Snappy.compress(raw, raw.length), to - from, now));
    }
  }

  private synchronized void enqueue(Request r) {
    queue.addLast(r);
    queuedBytes += r.body.length;
    queuedSamples += r.samples;
    Request sending = queue.peekFirst() == inFlight ? queue.pollFirst() : null;
    while (queuedBytes > maxQueuedBytes && queue.size() > 1) {
      Request old = queue.pollFirst();
      queuedBytes -= old.body.length;
      queuedSamples -= old.samples;
      droppedSamples.addAndGet(old.samples);
      errorLog.warn(
          "queue",
          name
              + ": more than "
              + maxQueuedBytes
              + " bytes waiting for the "
              + "receiver; dropped the oldest request ("
              + old.samples
              + " samples; totals are "
              + "cumulative and come with the next)");
    }
    if (sending != null) {
      queue.addFirst(sending);
    }
    notifyAll();
  }

  /** True once the final flush is queued and not yet sent: the stop waits for it. */
  @Override
  public synchronized boolean holds() {
    return lastQueued && !queue.isEmpty();
  }

  @Override
  public synchronized long heldLines() {
    return queuedSamples;
  }

  /** Waits a little for the sender to empty the queue; the worker calls again after a pause. */
  @Override
  public void writeHeld() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    synchronized (this) {
      while (!queue.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IOException(
              queue.size()
                  + " requests ("
                  + queuedSamples
                  + " samples) not yet taken by "
                  + redacted(url));
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  @Override
  public Map<TelemetryMetric, Long> counts() {
    return Map.of(
        TelemetryMetric.OUTPUT_SENT_SAMPLES,
        sentSamples.get(),
        TelemetryMetric.OUTPUT_DROPPED_SAMPLES,
        droppedSamples.get(),
        TelemetryMetric.OUTPUT_REJECTED_SAMPLES,
        rejectedSamples.get(),
        TelemetryMetric.OUTPUT_REDIRECTED_SAMPLES,
        redirectedSamples.get(),
        TelemetryMetric.OUTPUT_FAILED_REQUESTS,
        failedRequests.get());
  }

  @Override
  public synchronized long unsentSinceNs() {
    Request r = queue.peekFirst();
    return r == null ? 0 : r.createdNs;
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    sender.interrupt();
  }

  private void sendLoop() {
    Backoff backoff = new Backoff();
    try {
      while (true) {
        Request r;
        synchronized (this) {
          while (queue.isEmpty() && !closed) {
            wait();
          }
          if (closed) {
            return;
          }
          r = queue.peekFirst();
          inFlight = r;
        }
        Outcome o;
        try {
          o = post(r);
        } catch (RuntimeException e) { // a bug must not end remote write in silence
          errorLog.warn("bug", name + ": " + e + "; retrying");
          o = Outcome.RETRY;
        }
        synchronized (this) {
          if (o != Outcome.RETRY) {
            queue.pollFirst(); // r: the bound never drops the request being sent
            queuedBytes -= r.body.length;
            queuedSamples -= r.samples;
            inFlight = null;
            (o == Outcome.SENT
                    ? sentSamples
                    : o == Outcome.REDIRECTED ? redirectedSamples : rejectedSamples)
                .addAndGet(r.samples);
            backoff.succeeded();
            notifyAll();
            continue;
          }
          inFlight = null;
          failedRequests.incrementAndGet();
          long pause = backoff.failed();
          long until = System.nanoTime() + pause; // new intervals do not cut the pause short
          for (long left = pause; left > 0 && !closed; left = until - System.nanoTime()) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Error e) {
      Fatal.report("remote-write sender " + redacted(url), e);
    }
  }

  private enum Outcome {
    SENT,
    REJECTED,
    REDIRECTED,
    RETRY
  }

  private Outcome post(Request r) throws InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("User-Agent", "udsink")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .POST(HttpRequest.BodyPublishers.ofByteArray(r.body));
    headers.forEach(b::header);
    HttpResponse<String> resp;
    CompletableFuture<HttpResponse<String>> f = http.sendAsync(b.build(), info -> new Head(1024));
    try {
      // the request's timeout covers the answer's headers; this one its body as well
      resp = f.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      f.cancel(true);
      Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      errorLog.warn(
          "send", name + ": " + c.getClass().getSimpleName() + " " + c.getMessage() + "; retrying");
      return Outcome.RETRY;
    }
    int code = resp.statusCode();
    if (code / 100 == 2) {
      return Outcome.SENT;
    }
    String body = resp.body() == null ? "" : resp.body().strip();
    if (body.length() > 300) {
      body = body.substring(0, 300) + "...";
    }
    if (code / 100 == 3) {
      errorLog.warn(
          "redirected",
          name
              + ": HTTP "
              + code
              + " to "
              + resp.headers()
                  .firstValue("Location")
                  .map(l -> l.contains("?") ? l.substring(0, l.indexOf('?')) + "?..." : l)
                  .orElse("nowhere")
              + "; no redirect is followed (credentials stay "
              + "with the configured receiver): these "
              + r.samples
              + " samples are dropped; fix "
              + "--remote-write");
      return Outcome.REDIRECTED;
    }
    if (code / 100 == 5 || code == 429) {
      errorLog.warn("send", name + ": HTTP " + code + " " + body + "; retrying");
      return Outcome.RETRY;
    }
    errorLog.warn(
        "rejected",
        name
            + ": HTTP "
            + code
            + " "
            + body
            + "; the receiver refuses "
            + "these "
            + r.samples
            + " samples, dropped");
    return Outcome.REJECTED;
  }

  /**
   * The first {@code limit} bytes of a response body, the rest discarded: a receiver's answer
   * is for the log, and no receiver can make udsink hold more of it.
   */
  private static final class Head implements HttpResponse.BodySubscriber<String> {
    private final byte[] buf;
    private int n;
    private final CompletableFuture<String> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    Head(int limit) {
      buf = new byte[limit];
    }

    @Override
    public java.util.concurrent.CompletionStage<String> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer b : items) {
        int take = Math.min(b.remaining(), buf.length - n);
        b.get(buf, n, take);
        n += take;
      }
      if (n == buf.length) {
        subscription.cancel();
        onComplete();
      }
    }

    @Override
    public void onError(Throwable t) {
      result.complete(new String(buf, 0, n, StandardCharsets.UTF_8));
    }

    @Override
    public void onComplete() {
      result.complete(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
  }
}
