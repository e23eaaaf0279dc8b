package dev.byoos.devstack;

import java.nio.file.Path;
import java.util.Set;

/**
 * {@code up --data-dir DIR [--root DIR] [--services a,b] [--build-workers N] [--kubernetes-mirror DIR|s3://…]
 * [--watch-stdin]}: the servers and the services, in the foreground. Without a Kubernetes mirror,
 * the build workers get development stand-ins ({@link KubernetesStandInMirror}). Writes DIR/endpoints.properties and DIR/services.properties when everything is
 * ready; system tests start the whole pipeline this way.
 */
final class UpCommand {

    private UpCommand() {
    }

    static int run(String[] args) throws Exception {
        CommandLine options = CommandLine.parse(args, 1, Set.of("data-dir", "root", "services", "build-workers",
                "kubernetes-mirror"),
                Set.of("watch-stdin"));
        Path dataDir = options.requiredPath("data-dir").toAbsolutePath().normalize();
        Path root = Path.of(options.value("root", ".")).toAbsolutePath().normalize();
        var selected = ServiceLauncher.parseServices(options.value("services",
                "spec-service,build-worker,artifact-service,pack-publisher"));
        int buildWorkers = options.intValue("build-workers", 1);
        try (DevStack stack = DevStack.start(dataDir, System.out::println);
                ServiceLauncher services = ServiceLauncher.start(root, dataDir, stack.endpoints(), selected,
                        buildWorkers, options.optional("kubernetes-mirror"), System.out)) {
            stack.stopFirst(services);
            System.out.println("devstack up: " + dataDir.resolve(ServiceLauncher.SERVICES_FILE));
            System.out.flush();
            if (options.flag("watch-stdin")) {
                ServersCommand.drainUntilEndOfInput(System.in);
                System.out.println("devstack: standard input closed; stopping");
                return Main.EXIT_OK;
            }
            Thread.currentThread().join();
            return Main.EXIT_OK;
        }
    }
}
