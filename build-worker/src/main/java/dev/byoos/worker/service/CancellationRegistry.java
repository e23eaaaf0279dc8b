package dev.byoos.worker.service;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.config.WorkerConfig;

/**
 * What this worker knows about cancelled builds: the ids cancelled lately (a bounded set, oldest
 * forgotten first) and the builds it is running now, so that a cancellation stops a running
 * build and a request for a cancelled build is skipped.
 */
@ApplicationScoped
public class CancellationRegistry {

    private final Map<String, BuildCancellation> running = new HashMap<>();
    private final Set<String> cancelled;

    @Inject
    public CancellationRegistry(WorkerConfig config) {
        int capacity = config.rememberedCancellations();
        this.cancelled = Collections.newSetFromMap(new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        });
    }

    /** Remembers the cancellation and stops the build if this worker is running it. */
    public void cancel(String buildId) {
        BuildCancellation runningBuild;
        synchronized (this) {
            cancelled.add(buildId);
            runningBuild = running.get(buildId);
        }
        // Outside the lock: cancelling kills processes, and other builds must still start meanwhile.
        if (runningBuild != null) {
            runningBuild.cancel();
        }
    }

    public synchronized boolean isCancelled(String buildId) {
        return cancelled.contains(buildId);
    }

    /** @return the cancellation of a build this worker starts now (already cancelled if its id is) */
    public synchronized BuildCancellation track(String buildId) {
        BuildCancellation cancellation = new BuildCancellation();
        if (cancelled.contains(buildId)) {
            cancellation.cancel();
        }
        running.put(buildId, cancellation);
        return cancellation;
    }

    /** Stops every build running here and marks it handed back (the worker shuts down). */
    public void handBackAll() {
        List<BuildCancellation> runningBuilds;
        synchronized (this) {
            runningBuilds = List.copyOf(running.values());
        }
        // Outside the lock, like a cancellation: stopping kills process trees.
        runningBuilds.forEach(BuildCancellation::handBack);
    }

    public synchronized void untrack(String buildId) {
        running.remove(buildId);
    }
}
