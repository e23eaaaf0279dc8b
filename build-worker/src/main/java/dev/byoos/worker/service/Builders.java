package dev.byoos.worker.service;

import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Provider;

import io.quarkus.runtime.Startup;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.builder.SyntheticBuilder;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.format.OciImageFormat;
import dev.byoos.worker.builder.imagebuilder.ImageBuilderExecutor;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.registry.OciImagePusher;

/**
 * The builders this worker has, and the registry it pushes Edge images to. Set up at startup: a
 * worker that cannot have them (a synthetic builder in the prod profile, an invalid registry URL)
 * fails to start instead of failing every build.
 */
@Startup
@ApplicationScoped
public class Builders {

    private final Supplier<? extends Builder> nativeBuilder;
    /** Stands in for the native builder when a benchmark asks for it (off by default). */
    private final Optional<Builder> syntheticBuilder;
    /** The teams the synthetic builder builds for; empty: every team. */
    private final Set<String> syntheticTeams;
    private final Builder imageBuilder;
    /** Empty where no registry is configured. */
    private final Optional<OciImagePusher> registry;

    @Inject
    Builders(WorkerConfig config, Provider<NativeBuilder> nativeBuilder, ImageBuilderExecutor imageBuilder,
            Optional<OciImagePusher> registry) {
        this(config.syntheticBuilder().enabled()
                ? Optional.of(SyntheticBuilder.forBenchmark(config.syntheticBuilder().buildTime()))
                : Optional.empty(),
                config.syntheticBuilder().teams().orElse(Set.of()), nativeBuilder::get, imageBuilder, registry);
    }

    Builders(Optional<Builder> syntheticBuilder, Set<String> syntheticTeams, Supplier<? extends Builder> nativeBuilder,
            Builder imageBuilder, Optional<OciImagePusher> registry) {
        this.syntheticBuilder = syntheticBuilder;
        this.syntheticTeams = Set.copyOf(syntheticTeams);
        this.nativeBuilder = nativeBuilder;
        this.imageBuilder = imageBuilder;
        this.registry = registry;
        // Set up now unless every build is synthetic, so a worker that cannot have it fails to start.
        if (syntheticBuilder.isEmpty() || !this.syntheticTeams.isEmpty()) {
            nativeBuilder.get();
        }
    }

    /**
     * The builder the spec's target names; spec-service decided it (image-builder by default for
     * aws, azure, vsphere).
     *
     * @throws BuildException BAD_INPUT BUILDER_NOT_SUPPORTED for a builder this worker does not have
     */
    Builder forRequest(BuildRequested request) {
        return switch (request.builder()) {
            case BuildRequested.NATIVE -> syntheticBuilder
                    .filter(synthetic -> syntheticTeams.isEmpty() || syntheticTeams.contains(request.build().team()))
                    .orElseGet(nativeBuilder::get);
            case BuildRequested.IMAGE_BUILDER -> imageBuilder;
            default -> throw new BuildException(BuildException.Kind.BAD_INPUT, "BUILDER_NOT_SUPPORTED",
                    "this worker has no builder '" + request.builder() + "'", null);
        };
    }

    /** Whether the build makes a Palette Edge OS image, which is pushed to the registry. */
    boolean isEdge(BuildRequested request) {
        return OciImageFormat.NAME.equals(request.build().target().format());
    }

    /** @throws BuildException INFRASTRUCTURE REGISTRY_NOT_CONFIGURED when this worker has no registry */
    void requireRegistry() {
        if (registry.isEmpty()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "REGISTRY_NOT_CONFIGURED", "oci images are"
                    + " pushed to a registry, and this worker has none (byoos.worker.registry.url, BYOOS_REGISTRY_URL)",
                    null);
        }
    }

    /** The registry Edge images are pushed to; only after {@link #requireRegistry()}. */
    OciImagePusher registry() {
        return registry.orElseThrow();
    }
}
