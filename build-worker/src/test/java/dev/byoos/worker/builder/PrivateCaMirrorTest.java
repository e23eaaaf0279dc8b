package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.CustomizationLayersTest.Layers;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.layers.ImageCustomizer;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;
import dev.byoos.worker.builder.sandbox.Sandbox;
import dev.byoos.worker.builder.sandbox.SandboxLimits;

/**
 * An https package mirror behind a private CA, as inside an organisation: a CA and a server
 * certificate made here with openssl, a one-package apt repository (dpkg-deb, a hand-written
 * Packages and Release), served by the JDK's https server. A Debian base's own apt installs from it
 * in the sandbox when the installation gives the CA ({@code byoos.worker.packages.ca-certificates}),
 * and nothing of the CA stays in the image; without it, the build says what is missing.
 *
 * <p>The repository is {@code [trusted=yes]}: what is tested is TLS trust, which is independent of
 * the archive's signature. A production mirror is signed and its key is in the base's keyring.
 * Needs the Debian mirror for the base (see {@link TestBases#DEBOOTSTRAP_CACHE}).
 */
class PrivateCaMirrorTest {

    private static final String PACKAGE = "byoos-private-hello";
    private static final String INSTALLED_FILE = "/usr/share/" + PACKAGE + "/hello.txt";
    private static final String PASSWORD = "test-only";

    @TempDir
    static Path fixtures;
    static Path caCertificate;
    static HttpsServer mirror;

    @TempDir
    Path workDir;

    private final BuildLog log = new BuildLog();
    private final BuildCancellation cancellation = new BuildCancellation();
    private final CommandRunner commands = new CommandRunner(log, cancellation);

    @BeforeAll
    static void startMirror() throws IOException, GeneralSecurityException {
        caCertificate = fixtures.resolve("ca.pem");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=BYOOS test private CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=127.0.0.1");
        Files.writeString(fixtures.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                + "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "server.pem", "-days", "2", "-extfile", "server.ext");
        openssl("pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key", "-certfile", "ca.pem", "-out",
                "server.p12", "-passout", "pass:" + PASSWORD);

        Path repository = Files.createDirectories(fixtures.resolve("repository"));
        writeRepository(repository);

        mirror = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        mirror.setHttpsConfigurator(new HttpsConfigurator(HttpsTestServer.serverTls(fixtures.resolve("server.p12"),
                PASSWORD)));
        mirror.createContext("/", exchange -> {
            try (exchange) {
                Path file = repository.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
                if (!file.startsWith(repository) || !Files.isRegularFile(file)) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] content = Files.readAllBytes(file);
                exchange.sendResponseHeaders(200, content.length);
                if (!exchange.getRequestMethod().equals("HEAD")) {
                    exchange.getResponseBody().write(content);
                }
            }
        });
        mirror.start();
    }

    @AfterAll
    static void stopMirror() {
        mirror.stop(0);
    }

    @Test
    void aptInstallsFromAMirrorBehindAPrivateCaTheInstallationTrustsAndTheCaDoesNotStayInTheImage()
            throws IOException {
        RootFilesystem rootfs = bookwormUsingThePrivateMirror();
        PackageNetwork network = PackageNetwork.of(Optional.empty(), List.of(), List.of(caCertificate));

        customizer(rootfs, network).install(withPackages(PACKAGE), Optional.empty());

        assertEquals("installed from the private mirror\n", Files.readString(rootfs.root().resolve(INSTALLED_FILE.substring(1))),
                log.toString());
        // Where a CA could be left: the configuration, the trust stores, apt's state, root's home.
        String caBody = Files.readAllLines(caCertificate).get(1);
        for (String directory : List.of("etc", "usr/local", "usr/share/ca-certificates", "var/lib/apt", "root", "tmp")) {
            Path tree = rootfs.root().resolve(directory);
            if (!Files.isDirectory(tree, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(tree)) {
                List<Path> holdingTheCa = files.filter(file -> Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
                        .filter(file -> contains(file, caBody)).toList();
                assertEquals(List.of(), holdingTheCa, "the installation's CA stayed in the image");
            }
        }
        try (Stream<Path> top = Files.list(rootfs.root())) {
            assertFalse(top.anyMatch(path -> path.getFileName().toString().startsWith("byoos-")),
                    "a file of the installation stayed in the image root");
        }
    }

    @Test
    void withoutTheInstallationsCaTheMirrorIsNotTrustedAndTheBuildSaysWhatIsMissing() {
        RootFilesystem rootfs = bookwormUsingThePrivateMirror();

        BuildException failure = assertThrows(BuildException.class,
                () -> customizer(rootfs, PackageNetwork.direct()).install(withPackages(PACKAGE), Optional.empty()));

        assertEquals("MIRROR_CERTIFICATE_UNTRUSTED", failure.code(), failure.getMessage());
        assertEquals(BuildException.Kind.WORKER_SETUP, failure.kind());
        assertTrue(failure.getMessage().contains("byoos.worker.packages.ca-certificates"), failure.getMessage());
        assertFalse(Files.exists(rootfs.root().resolve(INSTALLED_FILE.substring(1))));
    }

    /** A Debian base whose only package source is the private mirror. */
    private RootFilesystem bookwormUsingThePrivateMirror() {
        String debianMirror = URI.create(TestBases.debianMirror()).getHost();
        DebootstrapBases bases = TestBases.debootstrapBases(TestBases.DEBOOTSTRAP_CACHE, List.of(debianMirror));
        RootFilesystem rootfs = bases.checkout(bases.resolve(BootableImageTest.BOOKWORM, "debian", log, cancellation),
                workDir, commands, log, cancellation);
        rootfs.write("/etc/apt/sources.list", "deb [trusted=yes] https://127.0.0.1:" + mirror.getAddress().getPort()
                + "/ private main\n", "0644", 0, 0);
        return rootfs;
    }

    private ImageCustomizer customizer(RootFilesystem rootfs, PackageNetwork network) {
        return new ImageCustomizer(rootfs, commands, new Sandbox(new Sandbox.Settings(SandboxLimits.defaults(),
                Set.of("127.0.0.1"), network)), log, cancellation);
    }

    private static BuildRequested withPackages(String... packages) {
        return CustomizationLayersTest.request("bookworm", BuildRequested.STANDARD, Layers.none().packages(packages));
    }

    /** pool/ with one package, dists/private/main/binary-amd64/Packages and dists/private/Release. */
    private static void writeRepository(Path repository) throws IOException {
        Path source = fixtures.resolve("package");
        Files.createDirectories(source.resolve("DEBIAN"));
        Files.createDirectories(source.resolve(INSTALLED_FILE.substring(1)).getParent());
        Files.writeString(source.resolve(INSTALLED_FILE.substring(1)), "installed from the private mirror\n");
        String control = "Package: " + PACKAGE + "\nVersion: 1.0\nArchitecture: all\n"
                + "Maintainer: BYOOS tests <tests@byoos.invalid>\nDescription: a file from the private mirror\n";
        Files.writeString(source.resolve("DEBIAN/control"), control);
        Path deb = Files.createDirectories(repository.resolve("pool")).resolve(PACKAGE + "_1.0_all.deb");
        run("dpkg-deb", "--root-owner-group", "--build", source.toString(), deb.toString());

        Path packages = Files.createDirectories(repository.resolve("dists/private/main/binary-amd64")).resolve("Packages");
        Files.writeString(packages, control + "Filename: pool/" + deb.getFileName() + "\nSize: " + Files.size(deb)
                + "\nSHA256: " + Sha256.of(deb) + "\n");
        String date = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'UTC'", Locale.ROOT)
                .format(ZonedDateTime.now(ZoneOffset.UTC).minusHours(1));
        Files.writeString(repository.resolve("dists/private/Release"), "Suite: private\nCodename: private\nDate: " + date
                + "\nArchitectures: amd64\nComponents: main\nSHA256:\n " + Sha256.of(packages) + " "
                + Files.size(packages) + " main/binary-amd64/Packages\n");
    }

    private static boolean contains(Path file, String text) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void openssl(String... arguments) {
        String[] command = new String[arguments.length + 1];
        command[0] = "openssl";
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        run(command);
    }

    private static void run(String... command) {
        new CommandRunner(new BuildLog(), new BuildCancellation()).run(Duration.ofMinutes(1), fixtures, null, command);
    }
}
