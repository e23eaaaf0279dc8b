package dev.byoos.testsupport;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import java.nio.file.Path;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The architecture rule every service keeps: no cycle between its packages, so each package can be
 * read, changed and tested from the ones it depends on. Each package is its own slice: a parent
 * package that uses a subpackage which uses the parent is a cycle too.
 */
public final class PackageCycles {

    private PackageCycles() {
    }

    /** @throws AssertionError naming every cycle and the dependencies that make it */
    public static void assertNoneUnder(String rootPackage) {
        // The module's own compiled classes (Surefire runs in the module's directory): scanning the
        // whole classpath for the package takes many seconds longer and finds the same classes.
        JavaClasses production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPath(Path.of("target", "classes"));
        if (production.isEmpty()) {
            throw new AssertionError("no production classes under " + rootPackage + ": nothing was checked");
        }
        slices().matching(rootPackage + ".(**)").should().beFreeOfCycles().check(production);
    }
}
