// Shared source (//SOURCES cli/*.java): commands print through the writers picocli holds
// (spec.commandLine().getOut()/getErr()), so a test can give each run writers of its own
// (tests/harness/Captured) without swapping System.out. Code that prints to a PrintStream (the
// benchmarks, BenchScratch, BenchData, the importer and its progress lines) gets one over such a
// writer: the bytes are decoded back as UTF-8, keeping a sequence cut between two writes until
// its end arrives.

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Model.CommandSpec;

final class CommandOut {
  private CommandOut() {}

  /** The command's standard output (picocli's out writer) as a PrintStream. */
  static PrintStream out(CommandSpec spec) { return over(spec.commandLine().getOut()); }

  /** The command's standard error (picocli's err writer) as a PrintStream. */
  static PrintStream err(CommandSpec spec) { return over(spec.commandLine().getErr()); }

  /** A PrintStream writing to `w` (flushed at every line; closing it leaves `w` open). */
  static PrintStream over(PrintWriter w) {
    return new PrintStream(new WriterStream(w), true, StandardCharsets.UTF_8);
  }

  private static final class WriterStream extends OutputStream {
    private final PrintWriter w;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer carry = ByteBuffer.allocate(0); // the start of a sequence the last write cut

    WriterStream(PrintWriter w) { this.w = w; }

    @Override public void write(int b) { write(new byte[] {(byte) b}, 0, 1); }

    @Override public synchronized void write(byte[] b, int off, int len) {
      ByteBuffer in = ByteBuffer.allocate(carry.remaining() + len).put(carry).put(b, off, len).flip();
      CharBuffer chars = CharBuffer.allocate(in.remaining());
      decoder.decode(in, chars, false);
      w.append(chars.flip());
      carry = ByteBuffer.allocate(in.remaining()).put(in).flip();
    }

    @Override public void flush() { w.flush(); }

    @Override public void close() { flush(); }
  }
}
