package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.byoos.contract.Topics;

/**
 * The Kubernetes manifests under deploy/kubernetes agree with the code they deploy: every topic
 * of {@link Topics#all()} with its partitions, each service's port, probes and configuration keys
 * as its application.properties has them, and every KEDA ScaledObject on a consumer group and
 * topic the scaled service really consumes, bounded by that topic's partitions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesManifestsTest {

    private static final List<String> SERVICES = List.of("spec-service", "build-worker", "artifact-service",
            "pack-publisher");
    private static final Set<String> AUTOSCALED = Set.of("build-worker", "artifact-service", "pack-publisher");
    private static final Pattern INCOMING = Pattern.compile("mp\\.messaging\\.incoming\\.\"([^\"]+)\"\\.(topic|group\\.id)");
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)");

    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    private final Path root = Path.of(System.getProperty("byoos.repo.root", "..")).toAbsolutePath().normalize();
    private final Path manifests = root.resolve("deploy/kubernetes");
    private final List<JsonNode> resources = new ArrayList<>();

    @BeforeAll
    void parseEveryManifestTheKustomizationNames() throws IOException {
        JsonNode kustomization = yaml.readTree(manifests.resolve("kustomization.yaml").toFile());
        for (JsonNode file : kustomization.path("resources")) {
            try (var parser = yaml.getFactory().createParser(manifests.resolve(file.asText()).toFile())) {
                yaml.readValues(parser, JsonNode.class).readAll().stream()
                        .filter(document -> !document.isNull() && !document.isMissingNode())
                        .forEach(resources::add);
            }
        }
        assertFalse(resources.isEmpty());
        for (JsonNode resource : resources) {
            assertFalse(resource.path("apiVersion").asText().isBlank(), resource::toString);
            assertFalse(resource.path("kind").asText().isBlank(), resource::toString);
            assertFalse(resource.path("metadata").path("name").asText().isBlank(), resource::toString);
        }
    }

    @Test
    void everyContractTopicIsAStrimziTopicWithItsPartitions() {
        Map<String, Integer> declared = new TreeMap<>();
        for (JsonNode topic : ofKind("KafkaTopic")) {
            declared.put(topic.path("spec").path("topicName").asText(), topic.path("spec").path("partitions").asInt());
            assertEquals("byoos", topic.path("metadata").path("labels").path("strimzi.io/cluster").asText());
        }
        Map<String, Integer> contract = Topics.all().stream()
                .collect(Collectors.toMap(Topics.TopicSpec::name, Topics.TopicSpec::partitions, (a, b) -> a, TreeMap::new));
        assertEquals(contract, declared);
    }

    @Test
    void eachServiceListensProbesAndIsScrapedOnItsOwnPort() throws IOException {
        for (String service : SERVICES) {
            Properties properties = applicationProperties(service);
            String port = properties.getProperty("quarkus.http.port");
            assertEquals(port, named("ConfigMap", service).path("data").path("QUARKUS_HTTP_PORT").asText(),
                    service + ": the images default to 8080, the ConfigMap sets the service's own port");
            JsonNode pod = named("Deployment", service).path("spec").path("template");
            assertEquals(port, pod.path("metadata").path("annotations").path("prometheus.io/port").asText(), service);
            assertEquals("/q/metrics", pod.path("metadata").path("annotations").path("prometheus.io/path").asText());
            JsonNode container = pod.path("spec").path("containers").get(0);
            assertEquals(port, container.path("ports").get(0).path("containerPort").asText(), service);
            assertEquals("/q/health/live", container.path("livenessProbe").path("httpGet").path("path").asText());
            assertEquals("/q/health/ready", container.path("readinessProbe").path("httpGet").path("path").asText());
            assertEquals("/q/health/started", container.path("startupProbe").path("httpGet").path("path").asText());
            assertEquals(port, named("Service", service).path("spec").path("ports").get(0).path("targetPort").asText(),
                    service);
        }
    }

    @Test
    void everyConfigurationKeyIsOneTheServiceReads() throws IOException {
        for (String service : SERVICES) {
            Properties properties = applicationProperties(service);
            Set<String> readable = new java.util.TreeSet<>();
            for (String key : properties.stringPropertyNames()) {
                readable.add(environmentName(key.replaceFirst("^%[a-z]+\\.", "")));
                Matcher reference = ENV_REFERENCE.matcher(properties.getProperty(key));
                while (reference.find()) {
                    readable.add(reference.group(1));
                }
            }
            JsonNode container = named("Deployment", service).path("spec").path("template").path("spec")
                    .path("containers").get(0);
            for (JsonNode source : container.path("envFrom")) {
                JsonNode configuration = source.has("configMapRef")
                        ? named("ConfigMap", source.path("configMapRef").path("name").asText())
                        : named("Secret", source.path("secretRef").path("name").asText());
                JsonNode data = configuration.has("data") ? configuration.path("data") : configuration.path("stringData");
                data.fieldNames().forEachRemaining(key -> assertTrue(readable.contains(key),
                        service + " does not read " + key + " (application.properties)"));
            }
        }
    }

    @Test
    void eachStageScalesOnTheLagOfAConsumerGroupItReallyUses() throws IOException {
        Map<String, Integer> partitions = Topics.all().stream()
                .collect(Collectors.toMap(Topics.TopicSpec::name, Topics.TopicSpec::partitions));
        List<JsonNode> scaledObjects = ofKind("ScaledObject");
        assertEquals(AUTOSCALED, scaledObjects.stream()
                .map(scaled -> scaled.path("spec").path("scaleTargetRef").path("name").asText())
                .collect(Collectors.toSet()));
        for (JsonNode scaled : scaledObjects) {
            String service = scaled.path("spec").path("scaleTargetRef").path("name").asText();
            named("Deployment", service);
            Map<String, String> groupByTopic = consumerGroupsByTopic(applicationProperties(service));
            int min = scaled.path("spec").path("minReplicaCount").asInt();
            int max = scaled.path("spec").path("maxReplicaCount").asInt();
            JsonNode trigger = scaled.path("spec").path("triggers").get(0);
            assertEquals("kafka", trigger.path("type").asText());
            String topic = trigger.path("metadata").path("topic").asText();
            assertEquals(groupByTopic.get(topic), trigger.path("metadata").path("consumerGroup").asText(),
                    service + " consumes " + groupByTopic);
            assertEquals(named("ConfigMap", service).path("data").path("KAFKA_BOOTSTRAP_SERVERS").asText(),
                    trigger.path("metadata").path("bootstrapServers").asText());
            assertTrue(1 <= min && min <= max, service + ": bounds " + min + ".." + max);
            assertTrue(max <= partitions.get(topic), service + ": replicas beyond " + topic + "'s "
                    + partitions.get(topic) + " partitions would sit idle");
        }
    }

    /** Topic to consumer group of every incoming channel with a fixed group (not per instance). */
    private static Map<String, String> consumerGroupsByTopic(Properties properties) {
        Map<String, Map<String, String>> channels = new HashMap<>();
        for (String key : properties.stringPropertyNames()) {
            Matcher incoming = INCOMING.matcher(key);
            if (incoming.matches()) {
                channels.computeIfAbsent(incoming.group(1), channel -> new HashMap<>())
                        .put(incoming.group(2), properties.getProperty(key));
            }
        }
        Map<String, String> groups = new HashMap<>();
        channels.values().stream()
                .filter(channel -> channel.containsKey("group.id") && !channel.get("group.id").contains("${"))
                .forEach(channel -> groups.put(channel.get("topic"), channel.get("group.id")));
        return groups;
    }

    /** How Quarkus names a property in the environment: non-alphanumerics become _, upper case. */
    private static String environmentName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    private Properties applicationProperties(String service) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(root.resolve(service).resolve("src/main/resources/application.properties"),
                StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        return properties;
    }

    private List<JsonNode> ofKind(String kind) {
        return resources.stream().filter(resource -> kind.equals(resource.path("kind").asText())).toList();
    }

    private JsonNode named(String kind, String name) {
        return ofKind(kind).stream().filter(resource -> name.equals(resource.path("metadata").path("name").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in deploy/kubernetes"));
    }
}
