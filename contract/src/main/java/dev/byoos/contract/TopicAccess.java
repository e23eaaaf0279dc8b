package dev.byoos.contract;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may read and write which topic: one Kafka principal per service, and one for the foreign
 * systems that submit specs. Every broker the stack runs on (devstack, docker-compose, Strimzi)
 * grants exactly these ACLs, so a service's credentials cannot forge another stage's events.
 * A consumer's dead-letter topic is written by that consumer, so it is among what it produces.
 */
public final class TopicAccess {

    /**
     * A principal (SCRAM user name), the topics it consumes and produces, and the prefix of its
     * consumer groups (its name: every group a service configures starts with it).
     */
    public record Principal(String name, Set<String> consumes, Set<String> produces) {

        public Principal {
            consumes = Set.copyOf(consumes);
            produces = Set.copyOf(produces);
        }

        public String groupPrefix() {
            return name;
        }

        /** Every topic this principal touches, read or written, sorted. */
        public Set<String> topics() {
            Set<String> all = new TreeSet<>(consumes);
            all.addAll(produces);
            return all;
        }
    }

    public static final String SPEC_SERVICE = "spec-service";
    public static final String BUILD_WORKER = "build-worker";
    public static final String ARTIFACT_SERVICE = "artifact-service";
    public static final String PACK_PUBLISHER = "pack-publisher";
    /** Foreign systems that submit specs as CloudEvents and read why one was rejected. */
    public static final String SPEC_SUBMITTER = "spec-submitter";

    private TopicAccess() {
    }

    /** The pipeline's principals; the broker's own and the operators' admin principal are super users instead. */
    public static List<Principal> principals() {
        return List.of(
                replayingDeadLetters(principal(SPEC_SERVICE,
                        Set.of(Topics.SPECS_SUBMITTED, Topics.BUILDS_STARTED, Topics.BUILDS_PROGRESS,
                                Topics.BUILDS_COMPLETED, Topics.BUILDS_FAILED, Topics.ARTIFACTS_STORED,
                                Topics.PACKS_PUBLISHED, Topics.PACKS_RETIRED),
                        Set.of(Topics.SPECS_REJECTED, Topics.BUILDS_REQUESTED, Topics.BUILDS_CANCELLED))),
                principal(BUILD_WORKER,
                        Set.of(Topics.BUILDS_REQUESTED, Topics.BUILDS_CANCELLED),
                        Set.of(Topics.BUILDS_STARTED, Topics.BUILDS_PROGRESS, Topics.BUILDS_COMPLETED,
                                Topics.BUILDS_FAILED)),
                principal(ARTIFACT_SERVICE,
                        Set.of(Topics.BUILDS_REQUESTED, Topics.BUILDS_COMPLETED, Topics.PACKS_PUBLISHED,
                                Topics.PACKS_RETIRED),
                        Set.of(Topics.ARTIFACTS_STORED, Topics.BUILDS_PROGRESS, Topics.BUILDS_FAILED)),
                principal(PACK_PUBLISHER,
                        Set.of(Topics.ARTIFACTS_STORED),
                        Set.of(Topics.PACKS_PUBLISHED, Topics.PACKS_RETIRED, Topics.BUILDS_PROGRESS,
                                Topics.BUILDS_FAILED)),
                // The submitter consumes no dead-letter topic: it only reads rejections, as a client.
                new Principal(SPEC_SUBMITTER, Set.of(Topics.SPECS_REJECTED), Set.of(Topics.SPECS_SUBMITTED)));
    }

    /** A service's principal: each topic it consumes adds that topic's dead-letter topic to what it produces. */
    private static Principal principal(String name, Set<String> consumes, Set<String> produces) {
        Set<String> written = new TreeSet<>(produces);
        consumes.forEach(topic -> written.add(Topics.deadLetter(topic)));
        return new Principal(name, consumes, written);
    }

    /**
     * spec-service's dead-letter admin API reads every dead-letter topic (without a consumer group)
     * and replays a record to the topic it was dead-lettered from, so it also writes every topic a
     * dead-letter topic belongs to. Reading a dead-letter topic adds no dead-letter topic of its own.
     */
    private static Principal replayingDeadLetters(Principal principal) {
        Set<String> consumes = new TreeSet<>(principal.consumes());
        Set<String> produces = new TreeSet<>(principal.produces());
        for (Topics.TopicSpec topic : Topics.all()) {
            if (topic.name().endsWith(Topics.DLQ_SUFFIX)) {
                consumes.add(topic.name());
                produces.add(topic.name().substring(0, topic.name().length() - Topics.DLQ_SUFFIX.length()));
            }
        }
        return new Principal(principal.name(), consumes, produces);
    }

    public static Principal principal(String name) {
        return principals().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no Kafka principal named '" + name + "'"));
    }
}
