package dev.byoos.worker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import dev.byoos.worker.builder.core.BuildLog;

/** A build's phases show in its trace: one span each, children of the build's span, ended when the phase ends. */
class PhaseSpansTest {

    private final List<SpanData> ended = new ArrayList<>();
    private final Tracer tracer = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
                @Override
                public CompletableResultCode export(Collection<SpanData> spans) {
                    ended.addAll(spans);
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode flush() {
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode shutdown() {
                    return CompletableResultCode.ofSuccess();
                }
            })).build().get("test");

    @Test
    void eachPhaseIsASpanUnderTheBuildsSpanAndTheListenerStillHearsOfIt() {
        List<String> heard = new ArrayList<>();
        Span build = tracer.spanBuilder("build").startSpan();
        BuildLog log;
        try (Scope scope = build.makeCurrent()) {
            log = new BuildLog(new PhaseSpans(tracer, (phase, percent, detail) -> heard.add(phase)));
        }
        log.phase("base", 5, "preparing the base");
        log.phase("layers", 25, "applying layers");
        log.phase("layers", 30, "still applying layers");
        log.endPhase();
        build.end();

        assertEquals(List.of("base", "layers", "layers"), heard);
        List<SpanData> phases = ended.stream().filter(span -> span.getName().startsWith(PhaseSpans.SPAN_PREFIX))
                .toList();
        assertEquals(List.of("build.phase base", "build.phase layers"), phases.stream().map(SpanData::getName).toList());
        phases.forEach(phase -> assertEquals(build.getSpanContext().getSpanId(), phase.getParentSpanId()));
        assertTrue(phases.stream().allMatch(SpanData::hasEnded));
    }
}
