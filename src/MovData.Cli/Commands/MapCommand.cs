using Spectre.Console;
using System.CommandLine;

namespace MovData.Cli.Commands;

/// <summary>movdata map: the file's segments, as a table and a one-line picture, or JSON.</summary>
internal static class MapCommand
{
    private const int PictureWidth = 64;

    internal static Command Create(Io io)
    {
        Argument<string> file = Shared.File("FILE", "the file to map");
        Option<bool> json = Shared.Json();
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("map", Shared.Describe(
            "List the file's segments: data, hole, unwritten, shared, physical address.",
            "movdata map edit.ts --json"))
        {
            file, json, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), p.GetValue(json), () =>
        {
            IReadOnlyList<Segment> map = FileRange.Map(p.GetValue(file)!);
            if (p.GetValue(json))
            {
                Shared.WriteJson(io, w =>
                {
                    w.WriteStartArray();
                    foreach (Segment s in map)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("offset", s.Offset);
                        w.WriteNumber("length", s.Length);
                        w.WriteString("kind", s.Kind.ToContractName());
                        w.WriteBoolean("shared", s.Shared);
                        if (s.Physical is long physical)
                        {
                            w.WriteNumber("physical", physical);
                        }
                        else
                        {
                            w.WriteNull("physical");
                        }
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
                return 0;
            }
            IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new PlainOutput(io.Out), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            var table = new Table().AddColumns("offset", "length", "kind", "shared", "physical");
            foreach (Segment s in map)
            {
                table.AddRow(s.Offset.ToString(), Sizes.Human(s.Length), s.Kind.ToContractName(), s.Shared ? "yes" : "", s.Physical?.ToString() ?? "-");
            }
            console.Write(table);
            io.Out.WriteLine(Picture(map));
            io.Out.WriteLine("  # data   = shared data   ~ unwritten   . hole");
            return 0;
        }));
        return command;
    }

    /// <summary>The file in one line: each character a 1/64 of it, drawn as what holds most of that slice.</summary>
    internal static string Picture(IReadOnlyList<Segment> map)
    {
        long size = map.Count == 0 ? 0 : map[^1].End;
        if (size == 0)
        {
            return "|(empty)|";
        }
        var line = new char[PictureWidth];
        for (int i = 0; i < PictureWidth; i++)
        {
            long start = size * i / PictureWidth, end = Math.Max(start + 1, size * (i + 1) / PictureWidth);
            Segment most = map.Where(s => s.Offset < end && s.End > start)
                .MaxBy(s => Math.Min(s.End, end) - Math.Max(s.Offset, start))!;
            line[i] = most.Kind switch
            {
                SegmentKind.Data => most.Shared ? '=' : '#',
                SegmentKind.Unwritten => '~',
                _ => '.',
            };
        }
        return $"|{new string(line)}| {Sizes.Human(size)}";
    }

    /// <summary>The table's output: the verb's writer as it is, never a terminal. Spectre's own
    /// output asks System.Console whether the writer is standard output, and that first use of
    /// System.Console on a terminal sends it the keypad-transmit sequence (see StandardStreams).</summary>
    private sealed class PlainOutput(TextWriter writer) : IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;

        public bool IsTerminal => false;

        public int Width => 120;

        public int Height => 24;

        public void SetEncoding(System.Text.Encoding encoding)
        {
        }
    }
}
