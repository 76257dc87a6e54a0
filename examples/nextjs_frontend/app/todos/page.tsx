import { redirect } from "next/navigation";

import TodoApp from "@/components/TodoApp";
import { apiBaseURL } from "@/lib/config";
import { getServerSession } from "@/lib/session";

export const dynamic = "force-dynamic";

export default async function TodosPage() {
  const session = await getServerSession();
  if (!session) redirect("/sign-in");
  // Read at request time, so one build works with any NEXT_PUBLIC_API_URL.
  return <TodoApp apiUrl={apiBaseURL()} user={{ name: session.user.name, email: session.user.email }} />;
}
