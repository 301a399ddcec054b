using System.Runtime.InteropServices;
using System.Text;

namespace MovData.Cli;

/// <summary>
/// Standard output and error as coreutils use them: plain writes to file descriptors 1 and 2,
/// UTF-8, and the terminal asked only for its width. Not System.Console: the first use of its
/// writers on a terminal sends the terminal the keypad-transmit sequence (ESC [?1h ESC =) and
/// never the one that undoes it, which leaves a shell's arrow keys changed after every run
/// and puts bytes before the JSON a script reads from a terminal.
/// </summary>
internal static partial class StandardStreams
{
    private const nuint TIOCGWINSZ = 0x5413; // asm-generic: x86-64 and arm64 alike

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        internal ushort Rows, Columns, XPixels, YPixels;
    }

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int GetWindowSize(int fd, nuint request, out WinSize size);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>A writer on file descriptor <paramref name="fd"/> (1 or 2), flushed at every write as System.Console's are.</summary>
    internal static TextWriter Open(int fd) => new StreamWriter(new DescriptorStream(fd), new UTF8Encoding(false), bufferSize: 4096) { AutoFlush = true };

    /// <summary>
    /// Writes to a descriptor, whole buffers, past EINTR. A reader that went away (EPIPE:
    /// <c>movdata map f | head -1</c>) ends the output quietly, as it ends a coreutils tool's
    /// (.NET ignores SIGPIPE, so the error is all there is); any other error is an IOException
    /// with the errno's message, as coreutils says "write error: No space left on device".
    /// </summary>
    private sealed class DescriptorStream(int fd) : Stream
    {
        private const int EINTR = 4, EPIPE = 32;
        private bool _readerGone;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* p = buffer)
            {
                for (int done = 0; done < buffer.Length && !_readerGone;)
                {
                    nint n = StandardStreams.Write(fd, p + done, (nuint)(buffer.Length - done));
                    if (n >= 0)
                    {
                        done += (int)n;
                        continue;
                    }
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EPIPE)
                    {
                        _readerGone = true;
                    }
                    else if (errno != EINTR)
                    {
                        throw new IOException($"write error: {Marshal.GetPInvokeErrorMessage(errno)}", errno) { Source = fd == 1 ? "stdout" : "stderr" };
                    }
                }
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>The columns of the terminal file descriptor <paramref name="fd"/> is, read when
    /// asked (a window can be resized); null when it is not a terminal.</summary>
    internal static Func<int>? TerminalWidth(int fd) =>
        IsATty(fd) == 1 ? () => GetWindowSize(fd, TIOCGWINSZ, out WinSize size) == 0 && size.Columns > 0 ? size.Columns : 80 : null;
}
