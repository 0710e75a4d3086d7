// The README's client snippets are compiled into ReadmeSnippets (obj/snippets). `Consumer.Client readme-client [args]`
// runs the README's client program as written (run.sh does it against a silo host); with no arguments this program only
// has to exist.
if (args is ["readme-client", ..])
{
    await Consumer.Client.ReadmeSnippets.Client(args[1..]);
    return;
}

Console.WriteLine("OrleansAof package consumer: client");
