import static org.junit.jupiter.api.Assertions.*;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreeScanner;
import com.sun.source.util.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The shape of the product code (every .java outside tests/, and the two commands that live there):
 * no method over 60 lines, no line over 120 characters (but JBang's one-line //DESCRIPTION). The methods and files still over are listed
 * below by name; a new one fails this test, and so does an entry that no longer needs to be listed
 * (delete it: the lists only shrink). Methods are measured by the JDK's own parser (declaration to
 * closing brace, comments and lambdas inside included), so formatting tricks do not hide a long one.
 */
@Fast
class CodeShapeTest {
  static final Path ROOT = MigrationSource.checkoutRoot();
  static final int MAX_METHOD_LINES = 60;
  static final int MAX_LINE_CHARS = 120;

  /** "file Class.method" of the methods still over MAX_METHOD_LINES (all outside issue 26's first pass). */
  static final Set<String> LONG_METHODS_ALLOWED = Set.of();

  /** Files that still hold lines over MAX_LINE_CHARS. */
  static final Set<String> LONG_LINES_ALLOWED = Set.of();

  /** A method or a line over the limit: where, and how long. */
  record Excess(String file, String name, int line, int length) {
    @Override public String toString() { return file + ":" + line + " " + name + " (" + length + ")"; }
  }

  static List<Path> productFiles(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> isProduct(root.relativize(p).toString().replace('\\', '/')))
          .sorted().toList();
    }
  }

  static boolean isProduct(String rel) {
    if (rel.startsWith(".") || rel.contains("/node_modules/") || rel.startsWith("clients/")) return false;
    return !rel.startsWith("tests/") || rel.equals("tests/TestRunner.java") || rel.equals("tests/SchemaCheck.java");
  }

  /** Every method (with a body) over maxLines, named "file Class.method", by javac's parser (no compilation). */
  static List<Excess> longMethods(Path root, List<Path> files, int maxLines) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull(javac, "the tests run on a JDK (JBang compiles with it), which has javac");
    var fm = javac.getStandardFileManager(null, null, null);
    var task = (JavacTask) javac.getTask(null, fm, d -> {}, List.of("-proc:none"), null,
        fm.getJavaFileObjectsFromPaths(files));
    var positions = Trees.instance(task).getSourcePositions();
    List<Excess> out = new ArrayList<>();
    for (CompilationUnitTree unit : task.parse()) {
      String file = root.relativize(Path.of(unit.getSourceFile().toUri())).toString().replace('\\', '/');
      var lines = unit.getLineMap();
      new TreeScanner<Void, String>() {
        @Override public Void visitClass(ClassTree c, String outer) {
          return super.visitClass(c, c.getSimpleName().isEmpty() ? outer : c.getSimpleName().toString());
        }

        @Override public Void visitMethod(MethodTree m, String cls) {
          if (m.getBody() != null) {
            int first = (int) lines.getLineNumber(positions.getStartPosition(unit, m));
            int length = (int) lines.getLineNumber(positions.getEndPosition(unit, m)) - first + 1;
            if (length > maxLines) out.add(new Excess(file, cls + "." + m.getName(), first, length));
          }
          return super.visitMethod(m, cls);
        }
      }.scan(unit, "");
    }
    return out;
  }

  static List<Excess> longLines(Path root, List<Path> files, int maxChars) throws IOException {
    List<Excess> out = new ArrayList<>();
    for (Path p : files) {
      List<String> lines = Files.readAllLines(p);
      String file = root.relativize(p).toString().replace('\\', '/');
      for (int i = 0; i < lines.size(); i++) {
        // JBang reads //DESCRIPTION as one line
        if (lines.get(i).length() > maxChars && !lines.get(i).startsWith("//DESCRIPTION")) out.add(new Excess(file, "line", i + 1, lines.get(i).length()));
      }
    }
    return out;
  }

  /** What is over but not allowed, and what is allowed but no longer over; both must be empty. */
  static void assertOnlyAllowed(String what, Set<String> over, Set<String> allowed, List<Excess> excesses) {
    Set<String> stale = new TreeSet<>(allowed);
    stale.removeAll(over);
    List<String> unlisted = excesses.stream()
        .filter(e -> !allowed.contains(what.equals("method") ? e.file() + " " + e.name() : e.file()))
        .map(Excess::toString).toList();
    assertTrue(unlisted.isEmpty(), unlisted.size() + " " + what + "s over the limit (split them where the steps are): "
        + unlisted.subList(0, Math.min(20, unlisted.size())));
    assertTrue(stale.isEmpty(), "no longer over the limit, delete from " + what + "'s allow-list: " + stale);
  }

  @Test void noNewMethodIsOver60Lines() throws IOException {
    List<Path> files = productFiles(ROOT);
    assertTrue(files.size() > 50, "found the product code: " + files.size());
    List<Excess> methods = longMethods(ROOT, files, MAX_METHOD_LINES);
    Set<String> over = new TreeSet<>();
    methods.forEach(e -> over.add(e.file() + " " + e.name()));
    assertOnlyAllowed("method", over, LONG_METHODS_ALLOWED, methods);
  }

  @Test void noNewFileHasLinesOver120Characters() throws IOException {
    List<Path> files = productFiles(ROOT);
    List<Excess> lines = longLines(ROOT, files, MAX_LINE_CHARS);
    Set<String> over = new TreeSet<>();
    lines.forEach(e -> over.add(e.file()));
    assertOnlyAllowed("line", over, LONG_LINES_ALLOWED, lines);
  }

  /** The measure itself: a 61-line method and a 121-character line are found, a 60-line one is not. */
  @Test void theMeasureCountsFromDeclarationToClosingBrace(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    StringBuilder src = new StringBuilder("class Planted {\n  void ok() {\n");
    for (int i = 0; i < 58; i++) src.append("    int a").append(i).append(" = ").append(i).append(";\n");
    src.append("  }\n  void tooLong() {\n");
    for (int i = 0; i < 59; i++) src.append("    int b").append(i).append(" = ").append(i).append(";\n");
    src.append("  }\n  // ").append("x".repeat(MAX_LINE_CHARS - 4)).append("\n}\n");
    Path file = Files.writeString(dir.resolve("Planted.java"), src);
    assertEquals(List.of(new Excess("Planted.java", "Planted.tooLong", 62, 61)),
        longMethods(dir, List.of(file), MAX_METHOD_LINES));
    assertEquals(List.of(new Excess("Planted.java", "line", 123, 121)), longLines(dir, List.of(file), MAX_LINE_CHARS));
  }
}
