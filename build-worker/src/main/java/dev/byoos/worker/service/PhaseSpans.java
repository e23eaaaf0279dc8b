package dev.byoos.worker.service;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

import dev.byoos.worker.builder.core.BuildLog;

/**
 * Each phase a build's log reports (base, layers, image, boot-test, push, upload) as a span of its
 * own, a child of the span the build runs in: a trace shows where a build's time went, the phases
 * the builders report without knowing about tracing. Then passes the phase on.
 */
final class PhaseSpans implements BuildLog.PhaseListener {

    static final String SPAN_PREFIX = "build.phase ";

    private final Tracer tracer;
    private final Context parent;
    private final BuildLog.PhaseListener next;
    private Span current;
    private String currentPhase;

    /** @param next told of every phase after its span started */
    PhaseSpans(Tracer tracer, BuildLog.PhaseListener next) {
        this.tracer = tracer;
        this.parent = Context.current();
        this.next = next;
    }

    @Override
    public void onPhase(String phase, int percent, String detail) {
        synchronized (this) {
            if (!phase.equals(currentPhase)) {
                endCurrent();
                current = tracer.spanBuilder(SPAN_PREFIX + phase).setParent(parent).startSpan();
                currentPhase = phase;
            }
        }
        next.onPhase(phase, percent, detail);
    }

    @Override
    public void onPhaseEnded(String phase) {
        synchronized (this) {
            endCurrent();
        }
        next.onPhaseEnded(phase);
    }

    private void endCurrent() {
        if (current != null) {
            current.end();
            current = null;
            currentPhase = null;
        }
    }
}
