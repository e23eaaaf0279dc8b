package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The benchmark harnesses in bench/ are single-file programs that only run when someone measures,
 * against the modules' packaged classes: without this test a changed constructor breaks them
 * unnoticed until the next measurement (NativeBuildBench did, for weeks). Each is compiled here
 * against the union of the classpaths bench/*.sh give them, after the reactor has packaged them.
 */
class BenchHarnessesCompileTest {

    private static final Path ROOT = Path.of(System.getProperty("byoos.repo.root", "..")).toAbsolutePath().normalize();

    static Stream<Path> harnesses() throws IOException {
        try (Stream<Path> files = Files.list(ROOT.resolve("bench"))) {
            List<Path> sources = files.filter(file -> file.toString().endsWith(".java")).sorted().toList();
            assertTrue(sources.size() >= 6, "bench/ lost its harnesses: " + sources);
            return sources.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("harnesses")
    void compilesAgainstThePackagedModules(Path harness, @TempDir Path classes) throws IOException {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        List<String> options = List.of("-proc:none", "-Xlint:none", "-d", classes.toString(), "-cp",
                String.join(File.pathSeparator, benchClasspath()));
        boolean compiled;
        try (StandardJavaFileManager files = compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            compiled = compiler.getTask(diagnostics, files, null, options, null, files.getJavaFileObjects(harness))
                    .call();
        }
        assertTrue(compiled, harness.getFileName() + " does not compile:\n" + diagnostics);
        Path harnessClass = classes.resolve(harness.getFileName().toString().replace(".java", ".class"));
        assertTrue(Files.isRegularFile(harnessClass), "no " + harnessClass.getFileName() + " was written");
    }

    /** What bench/*.sh put on the harnesses' classpaths: the worker's and artifact-service's runtime, devstack. */
    private static List<String> benchClasspath() throws IOException {
        List<String> entries = new ArrayList<>();
        for (String app : List.of("build-worker/target/quarkus-app", "artifact-service/target/quarkus-app")) {
            for (String dir : List.of("app", "lib/boot", "lib/main")) {
                Path jars = ROOT.resolve(app).resolve(dir);
                assertTrue(Files.isDirectory(jars), jars + " is missing: package the modules first");
                try (Stream<Path> listed = Files.list(jars)) {
                    listed.filter(jar -> jar.toString().endsWith(".jar")).sorted()
                            .forEach(jar -> entries.add(jar.toString()));
                }
            }
        }
        entries.add(ROOT.resolve("build-worker/target/classes").toString());
        Path devstack = ROOT.resolve("deploy/devstack/target/byoos-devstack.jar");
        assertTrue(Files.isRegularFile(devstack), devstack + " is missing: package the modules first");
        entries.add(devstack.toString());
        return entries;
    }
}
