"""A task that waits forever: the event loop's timer holds the sleeping
task, the task its coroutine, the coroutine its locals."""

import asyncio

import whyalive


class Connection:
    pass


async def keep_alive(connection):
    while True:
        await asyncio.sleep(3600)  # never cancelled when the client leaves


async def handle_client():
    connection = Connection()
    asyncio.get_running_loop().create_task(keep_alive(connection))


async def main():
    await handle_client()
    await asyncio.sleep(0)  # let the task start
    print(whyalive.explain_instances(Connection))


asyncio.run(main())
