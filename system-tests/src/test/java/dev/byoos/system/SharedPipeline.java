package dev.byoos.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One plain local pipeline (the four services, no setting changed) for every class that only
 * submits specs and reads what comes out, instead of one per class: a stack's start and stop
 * take about 50 s of a CI run. A class takes it as a {@link LocalPipeline} parameter of its
 * {@code @BeforeAll} and never closes it; the root context's store closes it after the last class.
 * Those classes run last ({@link #ORDER}; junit-platform.properties orders classes by
 * {@code @Order}) so the stack never idles beside another class's stack. A class that changes
 * the stack's settings, kills its services or injects faults starts its own.
 */
final class SharedPipeline implements ParameterResolver {

    static final List<String> SERVICES = List.of("spec-service", "build-worker", "artifact-service", "pack-publisher");
    /** After every class without an {@code @Order}. */
    static final int ORDER = Order.DEFAULT + 1;

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedPipeline.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LocalPipeline.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // AutoCloseable values are closed with their store; the root's closes when the run ends.
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(LocalPipeline.class, key -> start(),
                LocalPipeline.class);
    }

    private static LocalPipeline start() {
        try {
            return LocalPipeline.start("shared", String.join(",", SERVICES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the shared pipeline started", e);
        }
    }
}
