package dev.byoos.worker.messaging;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

import org.apache.kafka.common.errors.TimeoutException;
import org.eclipse.microprofile.reactive.messaging.Channel;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.Topics;
import dev.byoos.worker.service.BuildEvents;
import dev.byoos.worker.service.ProgressReporter;

/**
 * The worker's publisher with Kafka cut off behind it while {@link #down} is set: every send of a
 * stage's result (started, completed, failed) fails the way the producer's does when no broker
 * answers. The devstack has no Kafka outage switch (yet); the real {@link BuildEventPublisher} is
 * kept in front of the double, so what it makes of the failure is what is tested. Progress is
 * left through, so a test can see what the build waits for.
 */
@Alternative
@ApplicationScoped
public class KafkaOutageEvents implements BuildEvents {

    static volatile boolean down;

    private final BuildEventPublisher publisher;

    KafkaOutageEvents(@Channel(Topics.BUILDS_STARTED) MutinyEmitter<String> starts,
            @Channel(Topics.BUILDS_COMPLETED) MutinyEmitter<String> completions,
            @Channel(Topics.BUILDS_FAILED) MutinyEmitter<String> failures,
            @Channel(Topics.BUILDS_PROGRESS) MutinyEmitter<String> progressEvents) {
        this.publisher = new BuildEventPublisher(cutOff(starts, Topics.BUILDS_STARTED),
                cutOff(completions, Topics.BUILDS_COMPLETED), cutOff(failures, Topics.BUILDS_FAILED), progressEvents);
    }

    @SuppressWarnings("unchecked")
    private static MutinyEmitter<String> cutOff(MutinyEmitter<String> emitter, String topic) {
        return (MutinyEmitter<String>) Proxy.newProxyInstance(MutinyEmitter.class.getClassLoader(),
                new Class<?>[] { MutinyEmitter.class }, (proxy, method, args) -> {
                    if (down && method.getName().equals("sendMessage")) {
                        return Uni.createFrom().failure(new TimeoutException("Topic " + topic
                                + " not present in metadata after 60000 ms."));
                    }
                    try {
                        return method.invoke(emitter, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Override
    public void started(BuildStarted started) {
        publisher.started(started);
    }

    @Override
    public void completed(BuildCompleted completed) {
        publisher.completed(completed);
    }

    @Override
    public void completedAgain(String buildId, String recordedCompletion) {
        publisher.completedAgain(buildId, recordedCompletion);
    }

    @Override
    public void failed(BuildFailed failed) {
        publisher.failed(failed);
    }

    @Override
    public ProgressReporter progress(BuildCoordinates build) {
        return publisher.progress(build);
    }
}
