package dev.byoos.messaging;

import java.util.HashMap;
import java.util.Map;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.smallrye.reactive.messaging.TracingMetadata;

/**
 * Carries a trace across a gap the tracing instrumentation cannot see: an event written to an
 * outbox in one request and published later by a relay, on another thread. The W3C
 * {@code traceparent} of the writing span is stored with the event, and the published message
 * continues that trace, so one build stays one trace from the REST call to the last stage.
 */
public final class TraceContext {

    static final String TRACEPARENT = "traceparent";

    private static final TextMapGetter<Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private TraceContext() {
    }

    /** @return the current span's W3C traceparent, or null when no span is recording (tracing off) */
    public static String currentTraceparent() {
        if (!Span.current().getSpanContext().isValid()) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(Context.current(), carrier, Map::put);
        return carrier.get(TRACEPARENT);
    }

    /**
     * @param traceparent as returned by {@link #currentTraceparent()}; null leaves the message as it is
     * @return the message, published as a child of the span the traceparent names
     */
    public static <T> Message<T> continuing(Message<T> message, String traceparent) {
        if (traceparent == null) {
            return message;
        }
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(),
                Map.of(TRACEPARENT, traceparent), MAP_GETTER);
        return message.addMetadata(TracingMetadata.withCurrent(parent));
    }
}
