package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.byoos.contract.TopicAccess;
import dev.byoos.contract.Topics;

/**
 * The Kubernetes manifests under deploy/kubernetes agree with the code they deploy: every topic
 * of {@link Topics#all()} with its partitions, each service's port, probes and configuration keys
 * as its application.properties has them, and every KEDA ScaledObject on a consumer group and
 * topic the scaled service really consumes, bounded by that topic's partitions; NetworkPolicies
 * that deny by default and let each service reach exactly the endpoints its ConfigMap names; and
 * pods that meet the {@code restricted} Pod Security Standard, but for the worker's documented
 * exceptions; spec-service scaled on its request rate; a PodDisruptionBudget per service that lets a
 * node drain; and shutdowns that fit their grace periods. With kubectl on the PATH the manifests are
 * read as {@code kubectl kustomize} renders them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesManifestsTest {

    private static final List<String> SERVICES = List.of("spec-service", "build-worker", "artifact-service",
            "pack-publisher");
    /** The stages KEDA scales on their consumer group's lag. */
    private static final Set<String> LAG_SCALED = Set.of("build-worker", "artifact-service", "pack-publisher");
    /** The services with an API behind their Service: drained of requests before they stop. */
    private static final Set<String> API_SERVICES = Set.of("spec-service", "artifact-service", "pack-publisher");
    /** Quarkus's own settings a ConfigMap may set though application.properties does not name them. */
    private static final Set<String> QUARKUS_SETTINGS = Set.of("QUARKUS_SHUTDOWN_TIMEOUT");
    /** Kubernetes's default when a pod names no grace period. */
    private static final int DEFAULT_GRACE_SECONDS = 30;
    private static final String WORKER = "build-worker";
    /** ConfigMap keys naming an endpoint a service connects to (host:port lists or URLs). */
    private static final List<String> ENDPOINTS = List.of("KAFKA_BOOTSTRAP_SERVERS", "BYOOS_DB_JDBC_URL",
            "BYOOS_S3_ENDPOINT", "BYOOS_REGISTRY_URL", "BYOOS_SPEC_PIPELINE_BUILD_WORKER",
            "BYOOS_SPEC_PIPELINE_ARTIFACT_SERVICE", "BYOOS_SPEC_PIPELINE_PACK_PUBLISHER");
    /**
     * The worker's departures from {@code restricted}, as docs/architecture.md ("Kubernetes") gives
     * them: root, for bubblewrap and for trees owned by every user, with these capabilities and no others.
     */
    private static final List<String> WORKER_EXCEPTIONS = List.of("capabilities.add SYS_ADMIN",
            "capabilities.add NET_ADMIN", "capabilities.add CHOWN", "capabilities.add DAC_OVERRIDE",
            "capabilities.add DAC_READ_SEARCH", "capabilities.add FOWNER", "capabilities.add FSETID",
            "capabilities.add KILL", "capabilities.add SETGID", "capabilities.add SETUID", "capabilities.add SETFCAP",
            "capabilities.add SETPCAP", "capabilities.add SYS_CHROOT", "capabilities.add MKNOD", "runAsNonRoot",
            "runAsUser 0");
    /** Volume types the restricted standard admits. */
    private static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir",
            "ephemeral", "persistentVolumeClaim", "projected", "secret");
    private static final Pattern INCOMING = Pattern.compile("mp\\.messaging\\.incoming\\.\"([^\"]+)\"\\.(topic|group\\.id)");
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)");

    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    private final Path root = Path.of(System.getProperty("byoos.repo.root", "..")).toAbsolutePath().normalize();
    private final Path manifests = root.resolve("deploy/kubernetes");
    private final List<JsonNode> resources = new ArrayList<>();

    @BeforeAll
    void parseEveryManifestTheKustomizationNames() throws IOException, InterruptedException {
        Optional<Path> kubectl = onPath("kubectl");
        if (kubectl.isPresent()) {
            // What `kubectl apply -k` would apply: the kustomization must build, as rendered.
            Process kustomize = new ProcessBuilder(kubectl.get().toString(), "kustomize", manifests.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String rendered = new String(kustomize.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, kustomize.waitFor(), "kubectl kustomize " + manifests + " fails");
            readDocuments(rendered);
        } else {
            JsonNode kustomization = yaml.readTree(manifests.resolve("kustomization.yaml").toFile());
            for (JsonNode file : kustomization.path("resources")) {
                readDocuments(Files.readString(manifests.resolve(file.asText()), StandardCharsets.UTF_8));
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
    void theKafkaClusterAuthenticatesEveryClientAndAuthorizesByAcl() {
        JsonNode kafka = named("Kafka", "byoos").path("spec").path("kafka");
        assertEquals("simple", kafka.path("authorization").path("type").asText());
        assertEquals(false, kafka.path("authorization").path("superUsers").elements().hasNext(),
                "no service is a super user");
        assertTrue(kafka.path("listeners").size() > 0);
        for (JsonNode listener : kafka.path("listeners")) {
            assertEquals("scram-sha-512", listener.path("authentication").path("type").asText(), listener::toString);
        }
        for (String service : SERVICES) {
            assertTrue(named("ConfigMap", service).path("data").path("KAFKA_BOOTSTRAP_SERVERS").asText()
                    .startsWith("byoos-kafka-bootstrap." + namespace(named("Kafka", "byoos")) + ".svc:"), service);
        }
    }

    @Test
    void everyPrincipalIsAKafkaUserWithExactlyItsTopics() {
        Map<String, Set<String>> expected = new TreeMap<>();
        for (TopicAccess.Principal principal : TopicAccess.principals()) {
            Set<String> acls = new TreeSet<>();
            principal.consumes().forEach(topic -> acls.add("topic " + topic + " literal Read"));
            principal.produces().forEach(topic -> acls.add("topic " + topic + " literal Write"));
            acls.add("group " + principal.groupPrefix() + " prefix Read");
            expected.put(principal.name(), acls);
        }
        Map<String, Set<String>> declared = new TreeMap<>();
        for (JsonNode user : ofKind("KafkaUser")) {
            String name = user.path("metadata").path("name").asText();
            assertEquals("byoos", user.path("metadata").path("labels").path("strimzi.io/cluster").asText(), name);
            assertEquals(namespace(named("Kafka", "byoos")), namespace(user), name + ": where the User Operator watches");
            JsonNode authentication = user.path("spec").path("authentication");
            assertEquals("scram-sha-512", authentication.path("type").asText(), name);
            // The password comes from a Secret beside the user, filled from the secret manager.
            JsonNode password = authentication.path("password").path("valueFrom").path("secretKeyRef");
            assertTrue(named("Secret", password.path("name").asText()).path("stringData").has(password.path("key").asText()),
                    name + ": " + password);
            assertEquals("simple", user.path("spec").path("authorization").path("type").asText(), name);
            Set<String> acls = new TreeSet<>();
            for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
                assertEquals("allow", acl.path("type").asText("allow"), name + ": " + acl);
                JsonNode resource = acl.path("resource");
                for (JsonNode operation : acl.path("operations")) {
                    acls.add(resource.path("type").asText() + " " + resource.path("name").asText() + " "
                            + resource.path("patternType").asText("literal") + " " + operation.asText());
                }
            }
            declared.put(name, acls);
        }
        assertEquals(expected, declared);
    }

    @Test
    void eachServiceLogsInToKafkaAsItsOwnUserAndKedaReadsLagAsIt() throws IOException {
        for (String service : SERVICES) {
            assertEquals(service, named("ConfigMap", service).path("data").path("KAFKA_USERNAME").asText(), service);
            assertTrue(named("Secret", service).path("stringData").has("KAFKA_PASSWORD"), service);
            assertTrue(applicationProperties(service).getProperty("kafka.sasl.jaas.config")
                    .contains("username=\"${KAFKA_USERNAME:" + service + "}\" password=\"${KAFKA_PASSWORD}\""), service);
            assertEquals(service, TopicAccess.principal(service).name(), "a Kafka principal per service");
        }
        for (JsonNode scaled : lagScaledObjects()) {
            String service = scaled.path("spec").path("scaleTargetRef").path("name").asText();
            JsonNode trigger = scaled.path("spec").path("triggers").get(0);
            assertEquals("scram_sha512", trigger.path("metadata").path("sasl").asText(), service);
            JsonNode authentication = ofKind("TriggerAuthentication").stream()
                    .filter(auth -> auth.path("metadata").path("name").asText()
                            .equals(trigger.path("authenticationRef").path("name").asText())
                            && namespace(auth).equals(namespace(scaled)))
                    .findFirst().orElseThrow(() -> new AssertionError(service + ": no TriggerAuthentication"));
            assertEquals(Set.of("username <- ConfigMap " + service + "/KAFKA_USERNAME",
                    "password <- Secret " + service + "/KAFKA_PASSWORD"), targets(authentication), service);
        }
    }

    private static Set<String> targets(JsonNode authentication) {
        Set<String> targets = new TreeSet<>();
        authentication.path("spec").path("configMapTargetRef").forEach(ref -> targets.add(ref.path("parameter").asText()
                + " <- ConfigMap " + ref.path("name").asText() + "/" + ref.path("key").asText()));
        authentication.path("spec").path("secretTargetRef").forEach(ref -> targets.add(ref.path("parameter").asText()
                + " <- Secret " + ref.path("name").asText() + "/" + ref.path("key").asText()));
        return targets;
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
            // Readiness drops while a service waits out an outage (Kubernetes sends it no requests);
            // liveness does not, or every outage would restart every pod.
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
            Set<String> readable = new TreeSet<>(QUARKUS_SETTINGS);
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
        List<JsonNode> scaledObjects = lagScaledObjects();
        assertEquals(LAG_SCALED, scaledObjects.stream()
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

    @Test
    void specServiceScalesOnItsApiRequestRateFromTheMonitoringPrometheus() {
        JsonNode scaled = ofKind("ScaledObject").stream()
                .filter(object -> object.path("spec").path("scaleTargetRef").path("name").asText().equals("spec-service"))
                .findFirst().orElseThrow(() -> new AssertionError("spec-service has no ScaledObject"));
        assertEquals("byoos", namespace(scaled));
        JsonNode trigger = scaled.path("spec").path("triggers").get(0);
        assertEquals("prometheus", trigger.path("type").asText());
        // The Prometheus NetworkPolicies let scrape the services: namespace monitoring.
        assertTrue(trigger.path("metadata").path("serverAddress").asText().matches("http://[a-z0-9-]+\\.monitoring\\.svc(:\\d+)?"),
                trigger::toString);
        String query = trigger.path("metadata").path("query").asText();
        for (String part : List.of("rate(http_server_requests_seconds_count{", "app_kubernetes_io_name=\"spec-service\"",
                "namespace=\"byoos\"", "uri=~\"/api/.*\"")) {
            assertTrue(query.contains(part), "the query selects the API's requests (" + part + "), not probes' or scrapes': "
                    + query);
        }
        assertTrue(Double.parseDouble(trigger.path("metadata").path("threshold").asText()) > 0, trigger::toString);
        int min = scaled.path("spec").path("minReplicaCount").asInt();
        assertTrue(2 <= min && min <= scaled.path("spec").path("maxReplicaCount").asInt(), "the API keeps two replicas or more");
        assertTrue(named("Deployment", "spec-service").path("spec").path("replicas").isMissingNode(),
                "a fixed replica count would undo the autoscaler's on every apply");
    }

    @Test
    void everyDeploymentHasADisruptionBudgetThatLetsANodeDrain() {
        for (JsonNode deployment : ofKind("Deployment")) {
            String name = deployment.path("metadata").path("name").asText();
            JsonNode selector = deployment.path("spec").path("selector").path("matchLabels");
            List<JsonNode> budgets = ofKind("PodDisruptionBudget").stream()
                    .filter(budget -> namespace(budget).equals(namespace(deployment))
                            && budget.path("spec").path("selector").path("matchLabels").equals(selector))
                    .toList();
            assertEquals(1, budgets.size(), name + ": one PodDisruptionBudget with the Deployment's selector");
            JsonNode budget = budgets.get(0).path("spec");
            int fewest = minimumReplicas(deployment);
            // At the fewest replicas the Deployment runs, an eviction must be allowed, or a drain
            // blocks for good; and with two or more, one must stay.
            int evictable = budget.has("maxUnavailable")
                    ? Math.min(fewest, budget.path("maxUnavailable").asInt())
                    : fewest - budget.path("minAvailable").asInt();
            assertTrue(budget.path("maxUnavailable").isInt() || budget.path("minAvailable").isInt(),
                    name + ": a count, not a percentage that rounds to nothing: " + budget);
            assertTrue(evictable >= 1, name + ": at " + fewest + " replica(s) " + budget + " blocks every eviction");
            assertTrue(fewest == 1 || evictable < fewest, name + ": " + budget + " lets every replica go at once");
            // Every replica is unready while the service waits out an outage: a drain must not wait for it.
            assertEquals("AlwaysAllow", budget.path("unhealthyPodEvictionPolicy").asText(), name);
        }
    }

    @Test
    void everyServiceStopsWithinItsGracePeriod() throws IOException {
        for (String service : SERVICES) {
            JsonNode pod = named("Deployment", service).path("spec").path("template").path("spec");
            JsonNode container = pod.path("containers").get(0);
            int grace = pod.path("terminationGracePeriodSeconds").asInt(DEFAULT_GRACE_SECONDS);
            int preStop = container.path("lifecycle").path("preStop").path("sleep").path("seconds").asInt(0);
            Optional<Duration> shutdown = shutdownTimeout(service);
            if (API_SERVICES.contains(service)) {
                assertTrue(preStop > 0, service + ": no preStop sleep, so requests reach it after SIGTERM");
                assertTrue(shutdown.isPresent(), service + ": no quarkus.shutdown.timeout, so SIGTERM drops running requests");
            }
            long needed = preStop + shutdown.map(Duration::toSeconds).orElse(0L);
            assertTrue(grace >= needed, service + ": terminationGracePeriodSeconds " + grace + " < preStop " + preStop
                    + " s + quarkus.shutdown.timeout " + shutdown.orElse(Duration.ZERO).toSeconds() + " s");
        }
    }

    @Test
    void everyNamespaceWithAServiceDeniesWhatNoPolicyAllows() {
        Set<String> namespaces = ofKind("Deployment").stream().map(KubernetesManifestsTest::namespace)
                .collect(Collectors.toCollection(TreeSet::new));
        for (String namespace : namespaces) {
            assertTrue(ofKind("NetworkPolicy").stream().anyMatch(policy -> namespace.equals(namespace(policy))
                    && policy.path("spec").path("podSelector").isEmpty()
                    && types(policy).equals(Set.of("Ingress", "Egress"))
                    && policy.path("spec").path("ingress").isMissingNode()
                    && policy.path("spec").path("egress").isMissingNode()), "no default-deny NetworkPolicy in " + namespace);
        }
    }

    @Test
    void eachServiceReachesExactlyTheEndpointsItsConfigurationNames() throws IOException {
        for (String service : SERVICES) {
            JsonNode deployment = named("Deployment", service);
            Set<String> expected = new TreeSet<>(Set.of("UDP/53 -> kube-system", "TCP/53 -> kube-system"));
            JsonNode configuration = named("ConfigMap", service).path("data");
            for (String key : ENDPOINTS) {
                if (configuration.has(key)) {
                    for (String endpoint : configuration.path(key).asText().split(",")) {
                        URI uri = URI.create(endpoint.replaceFirst("^jdbc:", "").contains("://")
                                ? endpoint.replaceFirst("^jdbc:", "") : "tcp://" + endpoint);
                        String[] host = uri.getHost().split("\\.");
                        String peerNamespace = host.length > 1 ? host[1] : namespace(deployment);
                        expected.add("TCP/" + podPort(host[0], peerNamespace, uri.getPort()) + " -> " + peerNamespace);
                    }
                }
            }
            if (named("Secret", service).path("stringData").has("MP_JWT_VERIFY_PUBLICKEY_LOCATION")) {
                expected.add("TCP/443 -> ipBlock"); // a JWKS URL of the identity provider
            }
            if (applicationProperties(service).containsKey("byoos.worker.allowed-mirror-hosts")) {
                expected.addAll(Set.of("TCP/80 -> ipBlock", "TCP/443 -> ipBlock")); // package mirrors, tarball bases
            }
            if (applicationProperties(service).containsKey("byoos.spec.watch.interval")
                    || applicationProperties(service).containsKey("byoos.spec.notifications.poll-interval")) {
                expected.addAll(Set.of("TCP/80 -> ipBlock", "TCP/443 -> ipBlock")); // watched mirrors, receivers
            }
            assertEquals(expected, allowed(deployment, "egress", "to"), service + ": egress");
        }
    }

    @Test
    void eachServiceIsReachableOnlyOnItsHttpPortFromTheIngressControllerPrometheusOrThePipelinePage() {
        for (String service : SERVICES) {
            JsonNode deployment = named("Deployment", service);
            String port = deployment.path("spec").path("template").path("spec").path("containers").get(0)
                    .path("ports").get(0).path("containerPort").asText();
            Set<String> allowed = allowed(deployment, "ingress", "from");
            assertTrue(allowed.contains("TCP/" + port + " -> monitoring"), service + ": Prometheus scrapes " + allowed);
            if (!service.equals("spec-service")) {
                assertTrue(allowed.contains("TCP/" + port + " -> byoos"),
                        service + ": spec-service reads its readiness for the pipeline page " + allowed);
            }
            assertEquals(Set.of("TCP/" + port), allowed.stream().map(rule -> rule.substring(0, rule.indexOf(' ')))
                    .collect(Collectors.toSet()), service + ": ingress " + allowed);
        }
    }

    @Test
    void everyPodButTheWorkerMeetsTheRestrictedPodSecurityStandard() {
        for (String service : SERVICES) {
            if (!service.equals(WORKER)) {
                JsonNode deployment = named("Deployment", service);
                assertEquals(List.of(), restrictedViolations(deployment), service);
                assertEquals("restricted", enforcedStandard(namespace(deployment)), service + "'s namespace");
            }
        }
    }

    @Test
    void theWorkerDepartsFromRestrictedOnlyAsDocumentedAndAloneInItsNamespace() throws IOException {
        JsonNode worker = named("Deployment", WORKER);
        assertEquals(WORKER_EXCEPTIONS, restrictedViolations(worker));
        assertEquals("privileged", enforcedStandard(namespace(worker)), "SYS_ADMIN and NET_ADMIN are beyond baseline");
        assertEquals(List.of(WORKER), ofKind("Deployment").stream()
                .filter(deployment -> namespace(deployment).equals(namespace(worker)))
                .map(deployment -> deployment.path("metadata").path("name").asText()).toList());
        JsonNode container = worker.path("spec").path("template").path("spec").path("containers").get(0);
        JsonNode seccomp = container.path("securityContext").path("seccompProfile");
        assertEquals("Localhost", seccomp.path("type").asText());
        assertTrue(Files.isRegularFile(manifests.resolve("node")
                .resolve(Path.of(seccomp.path("localhostProfile").asText()).getFileName())), seccomp::toString);
        JsonNode appArmor = container.path("securityContext").path("appArmorProfile");
        assertEquals("Localhost", appArmor.path("type").asText());
        String name = appArmor.path("localhostProfile").asText();
        assertTrue(Files.readString(manifests.resolve("node").resolve(name + ".apparmor"), StandardCharsets.UTF_8)
                .contains("\nprofile " + name + " "), name);
    }

    @Test
    void theWorkerSeccompProfileLetsTheSandboxBeBuiltAndKeepsKernelInterfacesClosed() throws IOException {
        JsonNode profile = new ObjectMapper().readTree(manifests.resolve("node/build-worker-seccomp.json").toFile());
        Set<String> refused = new TreeSet<>();
        for (JsonNode rule : profile.path("syscalls")) {
            assertEquals("SCMP_ACT_ERRNO", rule.path("action").asText(), rule::toString);
            assertTrue(rule.path("args").isMissingNode(), "refused whatever the arguments: " + rule);
            rule.path("names").forEach(syscall -> refused.add(syscall.asText()));
        }
        // bubblewrap as root: new namespaces (a user namespace too, for the mirror bridge), mounts
        // (proc, tmpfs, binds), pivot_root, its hostname; nsenter into the bridge's network namespace.
        for (String sandbox : List.of("unshare", "clone", "clone3", "mount", "umount2", "pivot_root", "sethostname", "setns")) {
            assertFalse(refused.contains(sandbox), sandbox);
        }
        // DAC_READ_SEARCH would open open_by_handle_at to the pod (reading host files by handle).
        assertTrue(refused.containsAll(Set.of("open_by_handle_at", "kexec_load", "init_module", "finit_module", "bpf",
                "perf_event_open", "ptrace", "keyctl", "userfaultfd", "io_uring_setup")), refused::toString);
    }

    /** The ScaledObjects with a Kafka lag trigger. */
    private List<JsonNode> lagScaledObjects() {
        return ofKind("ScaledObject").stream()
                .filter(scaled -> "kafka".equals(scaled.path("spec").path("triggers").get(0).path("type").asText()))
                .toList();
    }

    /** The fewest replicas a Deployment runs: its ScaledObject's minimum, else its replicas (default 1). */
    private int minimumReplicas(JsonNode deployment) {
        return ofKind("ScaledObject").stream()
                .filter(scaled -> namespace(scaled).equals(namespace(deployment)) && scaled.path("spec")
                        .path("scaleTargetRef").path("name").asText().equals(deployment.path("metadata").path("name").asText()))
                .map(scaled -> scaled.path("spec").path("minReplicaCount").asInt())
                .findFirst().orElse(deployment.path("spec").path("replicas").asInt(1));
    }

    /** quarkus.shutdown.timeout as the pod has it: its ConfigMap's over application.properties. */
    private Optional<Duration> shutdownTimeout(String service) throws IOException {
        String value = named("ConfigMap", service).path("data").path("QUARKUS_SHUTDOWN_TIMEOUT")
                .asText(applicationProperties(service).getProperty("quarkus.shutdown.timeout", ""));
        if (value.isBlank()) {
            return Optional.empty();
        }
        // Quarkus reads "20s" (a number and a unit), "20" (seconds) or ISO-8601 "PT20S".
        Matcher simple = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(value);
        if (!simple.matches()) {
            return Optional.of(Duration.parse(value));
        }
        long amount = Long.parseLong(simple.group(1));
        return Optional.of(switch (simple.group(2) == null ? "s" : simple.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofSeconds(amount);
        });
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

    /**
     * What the {@code restricted} Pod Security Standard would refuse in a Deployment's pod, plus a
     * writable root filesystem (this project's own rule).
     */
    private static List<String> restrictedViolations(JsonNode deployment) {
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode podContext = pod.path("securityContext");
        List<String> violations = new ArrayList<>();
        for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (pod.path(host).asBoolean()) {
                violations.add(host);
            }
        }
        for (JsonNode volume : pod.path("volumes")) {
            volume.fieldNames().forEachRemaining(type -> {
                if (!type.equals("name") && !RESTRICTED_VOLUMES.contains(type)) {
                    violations.add("volume " + type);
                }
            });
        }
        List<JsonNode> containers = new ArrayList<>();
        pod.path("initContainers").forEach(containers::add);
        pod.path("containers").forEach(containers::add);
        for (JsonNode container : containers) {
            JsonNode context = container.path("securityContext");
            if (context.path("privileged").asBoolean()) {
                violations.add("privileged");
            }
            if (!context.path("allowPrivilegeEscalation").isBoolean() || context.path("allowPrivilegeEscalation").asBoolean()) {
                violations.add("allowPrivilegeEscalation");
            }
            if (!context.path("capabilities").path("drop").toString().contains("\"ALL\"")) {
                violations.add("capabilities.drop ALL");
            }
            context.path("capabilities").path("add").forEach(capability -> {
                if (!capability.asText().equals("NET_BIND_SERVICE")) {
                    violations.add("capabilities.add " + capability.asText());
                }
            });
            if (!context.path("runAsNonRoot").asBoolean(podContext.path("runAsNonRoot").asBoolean())) {
                violations.add("runAsNonRoot");
            }
            if (context.path("runAsUser").asInt(podContext.path("runAsUser").asInt(-1)) == 0) {
                violations.add("runAsUser 0");
            }
            String seccomp = context.path("seccompProfile").path("type").asText(podContext.path("seccompProfile").path("type").asText());
            if (!Set.of("RuntimeDefault", "Localhost").contains(seccomp)) {
                violations.add("seccompProfile " + seccomp);
            }
            if ("Unconfined".equals(context.path("appArmorProfile").path("type").asText(podContext.path("appArmorProfile").path("type").asText()))) {
                violations.add("appArmorProfile Unconfined");
            }
            if (!context.path("readOnlyRootFilesystem").asBoolean()) {
                violations.add("readOnlyRootFilesystem");
            }
        }
        return violations;
    }

    /**
     * The pod port behind {@code port} of the Service {@code name}, when one of ours is meant
     * (NetworkPolicies see the pod's port); any other endpoint's port as it is.
     */
    private int podPort(String name, String namespace, int port) {
        for (JsonNode service : ofKind("Service")) {
            if (name.equals(service.path("metadata").path("name").asText()) && namespace.equals(namespace(service))) {
                for (JsonNode servicePort : service.path("spec").path("ports")) {
                    if (servicePort.path("port").asInt() == port) {
                        return servicePort.path("targetPort").asInt(port);
                    }
                }
            }
        }
        return port;
    }

    private String enforcedStandard(String namespace) {
        return named("Namespace", namespace).path("metadata").path("labels").path("pod-security.kubernetes.io/enforce").asText();
    }

    /**
     * Every connection the NetworkPolicies selecting a Deployment's pods allow in one direction, as
     * "PROTOCOL/port -> namespace" of the peer (or "ipBlock"). Each rule must name its ports and
     * peers, each peer a namespace by name with pods by label, or an address block short of everything:
     * no rule may open a port to any peer or any port to a peer.
     */
    private Set<String> allowed(JsonNode deployment, String direction, String peers) {
        JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
        Set<String> allowed = new TreeSet<>();
        for (JsonNode policy : ofKind("NetworkPolicy")) {
            if (!namespace(policy).equals(namespace(deployment)) || !selects(policy.path("spec").path("podSelector"), labels)) {
                continue;
            }
            for (JsonNode rule : policy.path("spec").path(direction)) {
                String where = policy.path("metadata").path("name").asText() + " " + rule;
                assertFalse(rule.path(peers).isEmpty(), "a rule open to every peer: " + where);
                assertFalse(rule.path("ports").isEmpty(), "a rule open on every port: " + where);
                for (JsonNode peer : rule.path(peers)) {
                    String to;
                    if (peer.has("ipBlock")) {
                        assertFalse(Set.of("0.0.0.0/0", "::/0").contains(peer.path("ipBlock").path("cidr").asText()), where);
                        to = "ipBlock";
                    } else {
                        to = peer.path("namespaceSelector").path("matchLabels").path("kubernetes.io/metadata.name")
                                .asText(peer.has("namespaceSelector") ? "" : namespace(policy));
                        assertFalse(to.isEmpty(), "a peer in any namespace: " + where);
                    }
                    for (JsonNode port : rule.path("ports")) {
                        allowed.add(port.path("protocol").asText("TCP") + "/" + port.path("port").asText() + " -> " + to);
                    }
                }
            }
        }
        return allowed;
    }

    private static boolean selects(JsonNode selector, JsonNode labels) {
        for (var label : (Iterable<Map.Entry<String, JsonNode>>) selector.path("matchLabels")::fields) {
            if (!label.getValue().asText().equals(labels.path(label.getKey()).asText(null))) {
                return false;
            }
        }
        for (JsonNode expression : selector.path("matchExpressions")) {
            assertEquals("In", expression.path("operator").asText(), "only In is read here: " + expression);
            if (!expression.path("values").toString().contains("\"" + labels.path(expression.path("key").asText()).asText() + "\"")) {
                return false;
            }
        }
        return true;
    }

    private static Set<String> types(JsonNode policy) {
        Set<String> types = new TreeSet<>();
        policy.path("spec").path("policyTypes").forEach(type -> types.add(type.asText()));
        return types;
    }

    private static String namespace(JsonNode resource) {
        return resource.path("metadata").path("namespace").asText();
    }

    private void readDocuments(String documents) throws IOException {
        try (var parser = yaml.getFactory().createParser(documents)) {
            yaml.readValues(parser, JsonNode.class).readAll().stream()
                    .filter(document -> !document.isNull() && !document.isMissingNode())
                    .forEach(resources::add);
        }
    }

    private static Optional<Path> onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(directory -> !directory.isBlank())
                .map(directory -> Path.of(directory, command))
                .filter(Files::isExecutable)
                .findFirst();
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
