package dev.byoos.worker.config;

import java.nio.file.Path;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "worker")
public interface WorkerConfig {

    /** The local base catalog: each base is a directory or a tar archive named after it. */
    Path basesDir();

    /** Each build gets its own directory below this one, removed when the build ends. */
    Path scratchDir();

    /** Keep a failed build's scratch directory for inspection (never in production: disks fill up). */
    @WithDefault("false")
    boolean keepFailedScratch();

    /** This worker instance's name: in build.started, and in its own cancellations consumer group. */
    String instanceName();

    /** How many cancelled build ids a worker remembers (oldest forgotten first). */
    @WithDefault("10000")
    int rememberedCancellations();
}
