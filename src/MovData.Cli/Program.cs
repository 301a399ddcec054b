namespace MovData.Cli;

internal static class Program
{
    private static int Main(string[] args) => MovDataCli.Run(args, Console.Out, Console.Error);
}
