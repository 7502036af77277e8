package io.udsink.collector.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * JSON datagrams: one object, or an array of them, each
 * {@code {"name":..,"type":..,"value":..|"values":[..],"sample_rate":..,"tags":[..]|{..}}}.
 * Each object is laid out as a text line would be (name, members and tags in one scratch array)
 * and passes the same {@link LineCheck}s before it reaches the sink.
 */
final class JsonDatagrams {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final MetricSink sink;
  private final ParseErrorListener errors;
  private final LineCheck check;
  private final MetricLine line;
  private byte[] scratch = new byte[1024];

  JsonDatagrams(MetricSink sink, ParseErrorListener errors, LineCheck check, MetricLine line) {
    this.sink = sink;
    this.errors = errors;
    this.check = check;
    this.line = line;
  }

  /** Parses the JSON datagram {@code b[s, e)}. */
  void parse(byte[] b, int s, int e) {
    if (!Bytes.isAscii(b, s, e) && !Utf8.isValid(b, s, e)) {
      fail(ParseError.INVALID_UTF8, b, s, e); // the JSON parser would accept overlong forms
      return;
    }
    JsonNode root;
    try {
      root = JSON.readTree(b, s, e - s);
    } catch (IOException ex) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    if (root == null) {
      fail(ParseError.BAD_JSON, b, s, e);
    } else if (root.isArray()) {
      for (JsonNode n : root) {
        object(n, b, s, e);
      }
    } else {
      object(root, b, s, e);
    }
  }

  private void fail(ParseError reason, byte[] b, int s, int e) {
    errors.onParseError(reason, b, s, e);
  }

  private void object(JsonNode n, byte[] b, int s, int e) {
    if (!n.isObject()) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    JsonNode nameNode = n.get("name");
    JsonNode typeNode = n.get("type");
    if (nameNode == null
        || !nameNode.isTextual()
        || nameNode.asText().isEmpty()
        || typeNode == null
        || !typeNode.isTextual()) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    MetricType type = MetricType.ofLabel(typeNode.asText());
    if (type == null) {
      byte[] code = typeNode.asText().getBytes(StandardCharsets.UTF_8);
      type = MetricType.ofCode(code, 0, code.length);
    }
    if (type == null) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    List<JsonNode> raw = new ArrayList<>();
    JsonNode value = n.get("value");
    JsonNode vals = n.get("values");
    if (value != null && !value.isNull()) {
      raw.add(value);
    } else if (vals != null && vals.isArray() && vals.size() > 0) {
      vals.forEach(raw::add);
    } else {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    ParseError bad = LineCheck.valueCount(raw.size());
    if (bad != null) {
      fail(bad, b, s, e);
      return;
    }
    double rate = 1;
    JsonNode rateNode = n.get("sample_rate");
    if (rateNode != null && !rateNode.isNull()) {
      rate = rateNode.isNumber() ? rateNode.asDouble() : Double.NaN;
      bad = LineCheck.rate(rate);
      if (bad != null) {
        fail(bad, b, s, e);
        return;
      }
    }
    List<String> tags = tags(n.get("tags"));
    if (tags == null) {
      fail(ParseError.BAD_JSON, b, s, e);
      return;
    }
    bad = LineCheck.tagCount(tags.size());
    if (bad != null) {
      fail(bad, b, s, e);
      return;
    }
    MetricLine l = line;
    l.type = type;
    l.ensureValues(raw.size());
    int p = append(0, nameNode.asText().getBytes(StandardCharsets.UTF_8));
    l.nameStart = 0;
    l.nameEnd = p;
    for (int i = 0; i < raw.size(); i++) {
      JsonNode v = raw.get(i);
      if (type == MetricType.SET) {
        if (!(v.isTextual() || v.isNumber())) {
          fail(ParseError.BAD_JSON, b, s, e);
          return;
        }
        l.memberStarts[i] = p;
        p = append(p, v.asText().getBytes(StandardCharsets.UTF_8));
        l.memberEnds[i] = p;
      } else {
        if (!v.isNumber()) {
          fail(ParseError.BAD_JSON, b, s, e);
          return;
        }
        double d = v.asDouble();
        bad = check.value(type, d);
        if (bad != null) {
          fail(bad, b, s, e);
          return;
        }
        l.values[i] = d;
        l.deltas[i] = false; // JSON gauges set, never adjust
      }
    }
    for (int i = 0; i < tags.size(); i++) {
      l.tagStarts[i] = p;
      p = append(p, tags.get(i).getBytes(StandardCharsets.UTF_8));
      l.tagEnds[i] = p;
    }
    l.bytes = scratch;
    l.valueCount = raw.size();
    l.sampleRate = rate;
    l.tagCount = Tags.sort(l, scratch, Tags.lastOfEachKey(l, scratch, tags.size()));
    l.json = true;
    l.timestampMs = 0;
    bad = LineCheck.key(l);
    if (bad != null) {
      fail(bad, b, s, e);
      return;
    }
    sink.metric(l);
  }

  /** The tags of an object ({@code {"k":"v"}} or {@code ["k:v"]}); null when malformed. */
  private static List<String> tags(JsonNode tagsNode) {
    List<String> tags = new ArrayList<>();
    if (tagsNode == null || tagsNode.isNull()) {
      return tags;
    }
    if (tagsNode.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = tagsNode.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> t = it.next();
        String v = t.getValue() == null || t.getValue().isNull() ? "" : t.getValue().asText();
        tags.add(v.isEmpty() ? t.getKey() : t.getKey() + ":" + v);
      }
      return tags;
    }
    if (!tagsNode.isArray()) {
      return null;
    }
    for (JsonNode t : tagsNode) {
      if (!t.isTextual()) {
        return null;
      }
      if (!t.asText().isEmpty()) {
        tags.add(t.asText());
      }
    }
    return tags;
  }

  private int append(int p, byte[] src) {
    if (scratch.length < p + src.length) {
      scratch = Arrays.copyOf(scratch, Math.max(p + src.length, scratch.length * 2));
    }
    System.arraycopy(src, 0, scratch, p, src.length);
    return p + src.length;
  }
}
