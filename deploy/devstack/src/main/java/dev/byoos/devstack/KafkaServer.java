package dev.byoos.devstack;

import dev.byoos.contract.TopicAccess;
import dev.byoos.contract.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Apache Kafka in KRaft mode (broker and controller in this JVM), with SASL/SCRAM
 * users and ACLs: each service may read and write only its own topics ({@link TopicAccess}).
 */
final class KafkaServer implements AutoCloseable, Suspendable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaServer.class);
    private static final int NODE_ID = 1;
    private static final long ADMIN_TIMEOUT_MS = 30_000;

    /** Null while suspended. */
    private KafkaRaftServer server;
    private final Properties config;
    private final String bootstrapServers;
    private final KafkaCredentials credentials;

    private KafkaServer(KafkaRaftServer server, Properties config, String bootstrapServers, KafkaCredentials credentials) {
        this.server = server;
        this.config = config;
        this.bootstrapServers = bootstrapServers;
        this.credentials = credentials;
    }

    /**
     * Shuts the broker (and its controller) down as a crash of the whole cluster would look to
     * clients; the log directory and its committed offsets stay.
     */
    @Override
    public synchronized void suspend() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /** A new broker on the same ports, log directory and users: topics, offsets and ACLs are as they were. */
    @Override
    public synchronized void resume() {
        if (server == null) {
            KafkaRaftServer resumed = new KafkaRaftServer(KafkaConfig.fromProps(config, false), Time.SYSTEM);
            resumed.startup();
            server = resumed;
        }
    }

    /**
     * Formats the storage on first use (with every principal's SCRAM credentials), starts the
     * server, creates every pipeline topic and grants each principal its {@link TopicAccess}.
     */
    static KafkaServer start(Path dir, Path logsDir) throws Exception {
        int[] ports = Ports.stable(dir, 2);
        int brokerPort = ports[0];
        int controllerPort = ports[1];
        Path logDir = dir.resolve("log");
        boolean formatted = Files.exists(logDir.resolve("meta.properties"));
        Optional<KafkaCredentials> stored = KafkaCredentials.load(dir);
        if (formatted && stored.isEmpty()) {
            // Storage formatted without this stack's users (before it had credentials, or before a
            // principal was added): SCRAM users are only added at format time here, so format
            // again. A dev stack's events are disposable.
            LOG.warn("Kafka storage in {} lacks some principals' credentials; formatting it again (its events are dropped)",
                    logDir);
            DirectoryTrees.delete(logDir);
            formatted = false;
        }
        KafkaCredentials credentials = stored.isPresent() ? stored.get() : KafkaCredentials.create(dir);
        Files.createDirectories(logDir);
        Properties config = config(logDir, brokerPort, controllerPort, credentials);
        Path configFile = dir.resolve("server.properties");
        // It holds the broker's passwords: readable by the owner only.
        ownerOnly(configFile);
        try (Writer writer = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
            config.store(writer, "Written by the BYOOS dev stack on every start");
        }
        if (!formatted) {
            format(configFile, credentials, logsDir.resolve("kafka-format.log"));
        }

        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(config, false), Time.SYSTEM);
        String bootstrapServers = Ports.LOOPBACK + ":" + brokerPort;
        KafkaServer kafka = new KafkaServer(server, config, bootstrapServers, credentials);
        try {
            server.startup();
            kafka.createTopicsAndAcls(Topics.all(), TopicAccess.principals());
        } catch (Exception | Error e) {
            try {
                kafka.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        return kafka;
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    KafkaCredentials credentials() {
        return credentials;
    }

    private static Properties config(Path logDir, int brokerPort, int controllerPort, KafkaCredentials credentials) {
        Properties config = new Properties();
        config.put("process.roles", "broker,controller");
        config.put("node.id", Integer.toString(NODE_ID));
        // Static quorum: the voter is identified by node id, so a new port on every start is fine.
        config.put("controller.quorum.voters", NODE_ID + "@" + Ports.LOOPBACK + ":" + controllerPort);
        config.put("listeners", "CLIENT://" + Ports.LOOPBACK + ":" + brokerPort
                + ",CONTROLLER://" + Ports.LOOPBACK + ":" + controllerPort);
        config.put("advertised.listeners", "CLIENT://" + Ports.LOOPBACK + ":" + brokerPort);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "CLIENT");
        // Every connection authenticates, the controller's too: a loopback port is open to every
        // local user. Clients use SCRAM (users live in the cluster metadata, added at format time);
        // the controller uses PLAIN with its one user in the JAAS line, since SCRAM users cannot
        // be read before the controller itself runs.
        config.put("listener.security.protocol.map", "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
        config.put("listener.name.client.sasl.enabled.mechanisms", KafkaCredentials.SASL_MECHANISM);
        config.put("sasl.mechanism.inter.broker.protocol", KafkaCredentials.SASL_MECHANISM);
        config.put("listener.name.client.scram-sha-512.sasl.jaas.config",
                credentials.jaasConfig(KafkaCredentials.BROKER));
        config.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        config.put("sasl.mechanism.controller.protocol", "PLAIN");
        String brokerPassword = credentials.password(KafkaCredentials.BROKER);
        config.put("listener.name.controller.plain.sasl.jaas.config", KafkaCredentials.jaas(
                "org.apache.kafka.common.security.plain.PlainLoginModule", KafkaCredentials.BROKER, brokerPassword,
                " user_" + KafkaCredentials.BROKER + "=\"" + brokerPassword + "\""));
        // KRaft ACLs; nothing is allowed without one, except to the broker itself and the admin.
        config.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        config.put("super.users", "User:" + KafkaCredentials.BROKER + ";User:" + KafkaCredentials.ADMIN);
        config.put("allow.everyone.if.no.acl.found", "false");
        config.put("log.dirs", logDir.toString());
        // One node: every internal topic has one replica, and one partition is plenty locally
        // (the defaults of 50 partitions cost seconds when a first consumer group appears).
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("share.coordinator.state.topic.num.partitions", "1");
        config.put("default.replication.factor", "1");
        config.put("min.insync.replicas", "1");
        // Consumers join at once instead of after the 3 s default delay.
        config.put("group.initial.rebalance.delay.ms", "0");
        // Topics come from the contract only: a typo in a channel name must fail, not create a topic.
        config.put("auto.create.topics.enable", "false");
        // After a kill -9 the controller keeps the dead broker's registration until its session
        // expires (default 9 s) and refuses the new one until then: keep that wait short.
        config.put("broker.heartbeat.interval.ms", "1000");
        config.put("broker.session.timeout.ms", "4000");
        // The log cleaner's default 128 MB buffer is sized for production brokers.
        config.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        config.put("num.network.threads", "2");
        config.put("num.io.threads", "2");
        return config;
    }

    /**
     * {@code kafka-storage format --add-scram ...} for every principal; {@code StorageTool.main}
     * would exit the JVM.
     */
    private static void format(Path configFile, KafkaCredentials credentials, Path logFile) throws IOException {
        List<String> arguments = new ArrayList<>(List.of(
                "format",
                "--cluster-id", Uuid.randomUuid().toString(),
                "--config", configFile.toString(),
                "--ignore-formatted"));
        credentials.passwords().forEach((principal, password) -> {
            arguments.add("--add-scram");
            arguments.add(KafkaCredentials.SASL_MECHANISM + "=[name=" + principal + ",password=" + password + "]");
        });
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exitCode;
        try (PrintStream printStream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exitCode = StorageTool.execute(arguments.toArray(String[]::new), printStream);
        }
        String text = output.toString(StandardCharsets.UTF_8);
        // The tool prints every SCRAM user's salt and stored key: readable by the owner only.
        ownerOnly(logFile);
        Files.writeString(logFile, text, StandardCharsets.UTF_8);
        if (exitCode != 0) {
            throw new IllegalStateException("formatting Kafka storage failed (exit " + exitCode + "): " + text.trim());
        }
    }

    /**
     * Creates the topics, ones that already exist (a warm start) left as they are, and each
     * principal's ACLs (creating an existing ACL again changes nothing).
     */
    private void createTopicsAndAcls(List<Topics.TopicSpec> topics, List<TopicAccess.Principal> principals)
            throws Exception {
        Map<String, Object> adminConfig = new HashMap<>(credentials.clientConfig(KafkaCredentials.ADMIN));
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS);
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT_MS);
        try (Admin admin = Admin.create(adminConfig)) {
            admin.createAcls(KafkaAcls.of(principals)).all().get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            List<NewTopic> newTopics = new ArrayList<>();
            for (Topics.TopicSpec topic : topics) {
                newTopics.add(new NewTopic(topic.name(), topic.partitions(), (short) 1));
            }
            Map<String, KafkaFuture<Void>> results = admin.createTopics(newTopics).values();
            for (Map.Entry<String, KafkaFuture<Void>> result : results.entrySet()) {
                try {
                    result.getValue().get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create topic " + result.getKey(), e.getCause());
                    }
                } catch (TimeoutException e) {
                    throw new IllegalStateException("creating topic " + result.getKey() + " timed out after "
                            + ADMIN_TIMEOUT_MS / 1000 + " s", e);
                }
            }
            awaitLeaders(admin, results.keySet());
        }
        LOG.info("Kafka topics ready: {}; ACLs for {}", topics.stream().map(Topics.TopicSpec::name).toList(),
                principals.stream().map(TopicAccess.Principal::name).toList());
    }

    /**
     * Every partition has a leader once its description comes back: producers can start. A topic
     * created a moment ago may not be in the broker's metadata yet (unknown topic): ask again.
     */
    private static void awaitLeaders(Admin admin, Set<String> topics) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ADMIN_TIMEOUT_MS);
        while (true) {
            try {
                admin.describeTopics(topics).allTopicNames().get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /** Replaces the file with an empty one that only its owner may read and write. */
    private static void ownerOnly(Path file) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    @Override
    public void close() {
        suspend();
    }
}
