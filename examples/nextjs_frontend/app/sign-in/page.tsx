import { redirect } from "next/navigation";

import AuthForm from "@/components/AuthForm";
import { getServerSession } from "@/lib/session";

export const dynamic = "force-dynamic";

export default async function SignInPage() {
  if (await getServerSession()) redirect("/todos");
  return <AuthForm mode="sign-in" />;
}
